/**
 * hashicorp/raft 1.1.2's NetworkTransport messages in msgpack, as go-msgpack 0.5.5 writes them
 * with `&codec.MsgpackHandle{}`: one map per struct, the Go field names as keys (sorted byte-wise,
 * the embedded RPCHeader flattened into the same map), byte slices as raw strings, empty slices
 * as nil. Decoding accepts what any go-msgpack writes: keys in any order, unknown keys skipped,
 * both signed and unsigned integer forms, str or bin for byte slices.
 */
import { decodeFirst, type DecodeOptions } from '@nomadic/msgpack'
import type { AppendEntriesRequest, Log, LogType } from '../types.js'
import { RPCType } from '../types.js'
import { DecodeError } from '../errors.js'
import { WireWriter, key } from './wire-encode.js'

const EMPTY = Buffer.alloc(0)

/** Keys whose raw-string values are Go `[]byte`, never text. */
const BYTES_KEYS: ReadonlySet<string> = new Set([
  'Leader', 'Candidate', 'Data', 'Extensions', 'Peers', 'Configuration', 'ID', 'Addr', 'AppendedAt',
])

/** Decoder options for everything read from a raft connection. */
export function wireDecodeOptions(maxItems = 1 << 20): DecodeOptions {
  return { bytesKeys: BYTES_KEYS, maxItems, maxDepth: 16 }
}

// ---------------------------------------------------------------------------------------------
// Message layouts

/** How a Go field is written: uint64, int/int64, bool, []byte, []*Log; `?` only when present (ID, Addr). */
type FieldKind = 'uint' | 'int' | 'bool' | 'bytes' | 'bytes?' | 'entries'
type Layout = ReadonlyArray<readonly [name: string, kind: FieldKind]>

const HEADER: Layout = [['ProtocolVersion', 'int'], ['ID', 'bytes?'], ['Addr', 'bytes?']]

/** Each struct's fields (the embedded RPCHeader's inlined), in go-msgpack 0.5.5's byte-wise key order. */
function layout(fields: Layout): Layout {
  return [...fields].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

const LAYOUTS: Record<MessageKind, Layout> = {
  AppendEntriesRequest: layout([...HEADER, ['Term', 'uint'], ['Leader', 'bytes'], ['PrevLogEntry', 'uint'],
    ['PrevLogTerm', 'uint'], ['Entries', 'entries'], ['LeaderCommitIndex', 'uint']]),
  AppendEntriesResponse: layout([...HEADER, ['Term', 'uint'], ['LastLog', 'uint'], ['Success', 'bool'], ['NoRetryBackoff', 'bool']]),
  RequestVoteRequest: layout([...HEADER, ['Term', 'uint'], ['Candidate', 'bytes'], ['LastLogIndex', 'uint'],
    ['LastLogTerm', 'uint'], ['LeadershipTransfer', 'bool']]),
  RequestVoteResponse: layout([...HEADER, ['Term', 'uint'], ['Peers', 'bytes'], ['Granted', 'bool']]),
  InstallSnapshotRequest: layout([...HEADER, ['SnapshotVersion', 'int'], ['Term', 'uint'], ['Leader', 'bytes'],
    ['LastLogIndex', 'uint'], ['LastLogTerm', 'uint'], ['Peers', 'bytes'], ['Configuration', 'bytes'],
    ['ConfigurationIndex', 'uint'], ['Size', 'int']]),
  InstallSnapshotResponse: layout([...HEADER, ['Term', 'uint'], ['Success', 'bool']]),
  TimeoutNowRequest: layout(HEADER),
  TimeoutNowResponse: layout(HEADER),
  RequestPreVoteRequest: layout([...HEADER, ['Term', 'uint'], ['LastLogIndex', 'uint'], ['LastLogTerm', 'uint']]),
  RequestPreVoteResponse: layout([...HEADER, ['Term', 'uint'], ['Granted', 'bool']]),
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** Writes one `raft.Log` map: Data, Extensions, Index, Term, Type. */
export function writeLog(w: WireWriter, log: Log): void {
  w.mapHeader(5)
  w.raw(key('Data'))
  w.bytesOrNil(log.Data)
  w.raw(key('Extensions'))
  w.bytesOrNil(log.Extensions)
  w.raw(key('Index'))
  w.uint(log.Index)
  w.raw(key('Term'))
  w.uint(log.Term)
  w.raw(key('Type'))
  w.uint(log.Type)
}

/** Writes a request or response struct (without the RPC type byte). */
export function writeMessage(w: WireWriter, kind: MessageKind, m: object): void {
  const fields = LAYOUTS[kind]
  const values = m as Record<string, unknown>
  let count = 0
  for (const [name, k] of fields) if (k !== 'bytes?' || values[name] !== undefined) count++
  w.mapHeader(count)
  for (const [name, k] of fields) {
    const v = values[name]
    if (k === 'bytes?' && v === undefined) continue
    w.raw(key(name))
    switch (k) {
      case 'uint': w.uint(v as number); break
      case 'int': w.int(v as number); break
      case 'bool': w.bool(v as boolean); break
      case 'bytes':
      case 'bytes?': w.bytesOrNil(v as Buffer | undefined); break
      case 'entries': {
        const entries = v as Log[]
        if (entries.length === 0) w.nil()
        else {
          w.arrayHeader(entries.length)
          for (const e of entries) writeLog(w, e)
        }
      }
    }
  }
}

/** The Go struct name of each RPC's request and response. */
export type MessageKind =
  | 'AppendEntriesRequest' | 'AppendEntriesResponse'
  | 'RequestVoteRequest' | 'RequestVoteResponse'
  | 'InstallSnapshotRequest' | 'InstallSnapshotResponse'
  | 'TimeoutNowRequest' | 'TimeoutNowResponse'
  | 'RequestPreVoteRequest' | 'RequestPreVoteResponse'

/** Request and response struct names by RPC type byte. */
export const MESSAGE_KINDS: Record<RPCType, { request: MessageKind; response: MessageKind }> = {
  [RPCType.AppendEntries]: { request: 'AppendEntriesRequest', response: 'AppendEntriesResponse' },
  [RPCType.RequestVote]: { request: 'RequestVoteRequest', response: 'RequestVoteResponse' },
  [RPCType.InstallSnapshot]: { request: 'InstallSnapshotRequest', response: 'InstallSnapshotResponse' },
  [RPCType.TimeoutNow]: { request: 'TimeoutNowRequest', response: 'TimeoutNowResponse' },
  [RPCType.RequestPreVote]: { request: 'RequestPreVoteRequest', response: 'RequestPreVoteResponse' },
}

/** One message as Go encodes it (no type byte): for tests and tools. */
export function encodeMessage(kind: MessageKind, m: object): Buffer {
  const w = new WireWriter(sizeHint(m))
  writeMessage(w, kind, m)
  return w.finish()
}

/** A whole request frame: the RPC type byte, then the request map. */
export function encodeRequest(type: RPCType, m: object): Buffer {
  const w = new WireWriter(sizeHint(m))
  w.byte(type)
  writeMessage(w, MESSAGE_KINDS[type].request, m)
  return w.finish()
}

/** Room for a message, so the writer rarely grows: entries' bytes plus their keys. */
function sizeHint(m: object): number {
  const entries = (m as Partial<AppendEntriesRequest>).Entries
  let size = 256
  if (entries !== undefined) for (const e of entries) size += 64 + e.Data.length + e.Extensions.length
  return size
}

/** A whole response frame: the error string (`""` on success), then the response or nil. */
export function encodeResponse(type: RPCType, response: object | undefined, error?: string): Buffer {
  const w = new WireWriter(128)
  w.string(error ?? '')
  if (response === undefined) w.nil()
  else writeMessage(w, MESSAGE_KINDS[type].response, response)
  return w.finish()
}

// ---------------------------------------------------------------------------------------------
// Decoding

type Fields = Record<string, unknown>

function fail(kind: string, field: string, why: string): never {
  throw new DecodeError(`cannot decode ${kind}: field ${field} ${why}`)
}

function uint(kind: string, f: Fields, name: string): number {
  const v = f[name]
  if (v === undefined || v === null) return 0
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0) return v
    return fail(kind, name, `is ${v}, not an unsigned integer`)
  }
  if (typeof v === 'bigint') {
    if (v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v)
    return fail(kind, name, `is ${v}, beyond 2^53`)
  }
  if (typeof v === 'boolean') return v ? 1 : 0
  return fail(kind, name, `is a ${typeof v}, not an integer`)
}

function int(kind: string, f: Fields, name: string): number {
  const v = f[name]
  if (typeof v === 'number' && Number.isInteger(v)) return v
  if (typeof v === 'bigint') {
    if (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(v)
    return fail(kind, name, `is ${v}, beyond 2^53`)
  }
  return uint(kind, f, name)
}

function bool(kind: string, f: Fields, name: string): boolean {
  const v = f[name]
  if (v === undefined || v === null) return false
  if (typeof v === 'boolean') return v
  if (v === 0 || v === 1) return v === 1
  return fail(kind, name, 'is not a bool')
}

function bytes(kind: string, f: Fields, name: string): Buffer {
  const v = f[name]
  if (v === undefined || v === null) return EMPTY
  if (Buffer.isBuffer(v)) return v
  if (v instanceof Uint8Array) return Buffer.from(v)
  if (typeof v === 'string') return Buffer.from(v, 'utf8')
  return fail(kind, name, 'is not a byte string')
}

function asFields(kind: string, v: unknown): Fields {
  if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype) {
    throw new DecodeError(`cannot decode ${kind}: expected a map`)
  }
  return v as Fields
}

/** Reads a `raft.Log` map. */
export function readLog(v: unknown): Log {
  const f = asFields('Log', v)
  const type = uint('Log', f, 'Type')
  if (type > 255) fail('Log', 'Type', `is ${type}, beyond uint8`)
  return {
    Index: uint('Log', f, 'Index'),
    Term: uint('Log', f, 'Term'),
    Type: type as LogType,
    Data: bytes('Log', f, 'Data'),
    Extensions: bytes('Log', f, 'Extensions'),
  }
}

/** Turns a decoded msgpack map into the typed message; throws {@link DecodeError}. */
export function readMessage(kind: MessageKind, v: unknown): object {
  const f = asFields(kind, v)
  const out: Record<string, unknown> = {}
  for (const [name, k] of LAYOUTS[kind]) {
    switch (k) {
      case 'uint': out[name] = uint(kind, f, name); break
      case 'int': out[name] = int(kind, f, name); break
      case 'bool': out[name] = bool(kind, f, name); break
      case 'bytes': out[name] = bytes(kind, f, name); break
      case 'bytes?':
        if (f[name] !== undefined && f[name] !== null) out[name] = bytes(kind, f, name)
        break
      case 'entries': {
        const entries = f[name]
        if (entries !== undefined && entries !== null && !Array.isArray(entries)) fail(kind, name, 'is not an array')
        out[name] = Array.isArray(entries) ? entries.map(readLog) : []
      }
    }
  }
  if (kind === 'InstallSnapshotRequest' && (out.Size as number) < 0) fail(kind, 'Size', `is negative (${String(out.Size)})`)
  return out
}

/** Decodes one whole message (no type byte); throws on malformed or trailing bytes. */
export function decodeMessage(kind: MessageKind, input: Uint8Array): object {
  let decoded
  try {
    decoded = decodeFirst(input, 0, wireDecodeOptions())
  } catch (err) {
    throw new DecodeError(`cannot decode ${kind}: ${(err as Error).message}`)
  }
  if (decoded.end !== input.length) throw new DecodeError(`cannot decode ${kind}: ${input.length - decoded.end} trailing bytes`)
  return readMessage(kind, decoded.value)
}
