/**
 * hashicorp/raft 1.1.2's NetworkTransport messages in msgpack, as go-msgpack 0.5.5 writes them
 * with `&codec.MsgpackHandle{}`: one map per struct, the Go field names as keys (sorted byte-wise,
 * the embedded RPCHeader flattened into the same map), byte slices as raw strings, empty slices
 * as nil. Decoding accepts what any go-msgpack writes: keys in any order, unknown keys skipped,
 * both signed and unsigned integer forms, str or bin for byte slices.
 */
import { decodeFirst, type DecodeOptions } from '@nomadic/msgpack'
import type {
  AppendEntriesRequest,
  AppendEntriesResponse,
  InstallSnapshotRequest,
  InstallSnapshotResponse,
  Log,
  LogType,
  RequestPreVoteRequest,
  RequestPreVoteResponse,
  RequestVoteRequest,
  RequestVoteResponse,
  RPCHeader,
  TimeoutNowRequest,
  TimeoutNowResponse,
} from '../types.js'
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
// Encoding

/** Writes the header fields of later hashicorp versions only when they are set. */
function headerExtras(w: WireWriter, m: RPCHeader, which: 'Addr' | 'ID'): void {
  const v = m[which]
  if (v === undefined) return
  w.raw(key(which))
  w.bytesOrNil(v)
}

function extraCount(m: RPCHeader): number {
  return (m.Addr !== undefined ? 1 : 0) + (m.ID !== undefined ? 1 : 0)
}

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
  switch (kind) {
    case 'AppendEntriesRequest': {
      const r = m as AppendEntriesRequest
      w.mapHeader(7 + extraCount(r))
      headerExtras(w, r, 'Addr')
      w.raw(key('Entries'))
      if (r.Entries.length === 0) w.nil()
      else {
        w.arrayHeader(r.Entries.length)
        for (const e of r.Entries) writeLog(w, e)
      }
      headerExtras(w, r, 'ID')
      w.raw(key('Leader'))
      w.bytesOrNil(r.Leader)
      w.raw(key('LeaderCommitIndex'))
      w.uint(r.LeaderCommitIndex)
      w.raw(key('PrevLogEntry'))
      w.uint(r.PrevLogEntry)
      w.raw(key('PrevLogTerm'))
      w.uint(r.PrevLogTerm)
      w.raw(key('ProtocolVersion'))
      w.int(r.ProtocolVersion)
      w.raw(key('Term'))
      w.uint(r.Term)
      return
    }
    case 'AppendEntriesResponse': {
      const r = m as AppendEntriesResponse
      w.mapHeader(5 + extraCount(r))
      headerExtras(w, r, 'Addr')
      headerExtras(w, r, 'ID')
      w.raw(key('LastLog'))
      w.uint(r.LastLog)
      w.raw(key('NoRetryBackoff'))
      w.bool(r.NoRetryBackoff)
      w.raw(key('ProtocolVersion'))
      w.int(r.ProtocolVersion)
      w.raw(key('Success'))
      w.bool(r.Success)
      w.raw(key('Term'))
      w.uint(r.Term)
      return
    }
    case 'RequestVoteRequest': {
      const r = m as RequestVoteRequest
      w.mapHeader(6 + extraCount(r))
      headerExtras(w, r, 'Addr')
      w.raw(key('Candidate'))
      w.bytesOrNil(r.Candidate)
      headerExtras(w, r, 'ID')
      w.raw(key('LastLogIndex'))
      w.uint(r.LastLogIndex)
      w.raw(key('LastLogTerm'))
      w.uint(r.LastLogTerm)
      w.raw(key('LeadershipTransfer'))
      w.bool(r.LeadershipTransfer)
      w.raw(key('ProtocolVersion'))
      w.int(r.ProtocolVersion)
      w.raw(key('Term'))
      w.uint(r.Term)
      return
    }
    case 'RequestVoteResponse': {
      const r = m as RequestVoteResponse
      w.mapHeader(4 + extraCount(r))
      headerExtras(w, r, 'Addr')
      w.raw(key('Granted'))
      w.bool(r.Granted)
      headerExtras(w, r, 'ID')
      w.raw(key('Peers'))
      w.bytesOrNil(r.Peers)
      w.raw(key('ProtocolVersion'))
      w.int(r.ProtocolVersion)
      w.raw(key('Term'))
      w.uint(r.Term)
      return
    }
    case 'InstallSnapshotRequest': {
      const r = m as InstallSnapshotRequest
      w.mapHeader(10 + extraCount(r))
      headerExtras(w, r, 'Addr')
      w.raw(key('Configuration'))
      w.bytesOrNil(r.Configuration)
      w.raw(key('ConfigurationIndex'))
      w.uint(r.ConfigurationIndex)
      headerExtras(w, r, 'ID')
      w.raw(key('LastLogIndex'))
      w.uint(r.LastLogIndex)
      w.raw(key('LastLogTerm'))
      w.uint(r.LastLogTerm)
      w.raw(key('Leader'))
      w.bytesOrNil(r.Leader)
      w.raw(key('Peers'))
      w.bytesOrNil(r.Peers)
      w.raw(key('ProtocolVersion'))
      w.int(r.ProtocolVersion)
      w.raw(key('Size'))
      w.int(r.Size)
      w.raw(key('SnapshotVersion'))
      w.int(r.SnapshotVersion)
      w.raw(key('Term'))
      w.uint(r.Term)
      return
    }
    case 'InstallSnapshotResponse': {
      const r = m as InstallSnapshotResponse
      w.mapHeader(3 + extraCount(r))
      headerExtras(w, r, 'Addr')
      headerExtras(w, r, 'ID')
      w.raw(key('ProtocolVersion'))
      w.int(r.ProtocolVersion)
      w.raw(key('Success'))
      w.bool(r.Success)
      w.raw(key('Term'))
      w.uint(r.Term)
      return
    }
    case 'TimeoutNowRequest':
    case 'TimeoutNowResponse': {
      const r = m as TimeoutNowRequest
      w.mapHeader(1 + extraCount(r))
      headerExtras(w, r, 'Addr')
      headerExtras(w, r, 'ID')
      w.raw(key('ProtocolVersion'))
      w.int(r.ProtocolVersion)
      return
    }
    case 'RequestPreVoteRequest': {
      const r = m as RequestPreVoteRequest
      w.mapHeader(4 + extraCount(r))
      headerExtras(w, r, 'Addr')
      headerExtras(w, r, 'ID')
      w.raw(key('LastLogIndex'))
      w.uint(r.LastLogIndex)
      w.raw(key('LastLogTerm'))
      w.uint(r.LastLogTerm)
      w.raw(key('ProtocolVersion'))
      w.int(r.ProtocolVersion)
      w.raw(key('Term'))
      w.uint(r.Term)
      return
    }
    case 'RequestPreVoteResponse': {
      const r = m as RequestPreVoteResponse
      w.mapHeader(3 + extraCount(r))
      headerExtras(w, r, 'Addr')
      w.raw(key('Granted'))
      w.bool(r.Granted)
      headerExtras(w, r, 'ID')
      w.raw(key('ProtocolVersion'))
      w.int(r.ProtocolVersion)
      w.raw(key('Term'))
      w.uint(r.Term)
      return
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
  return w.bytes()
}

/** A whole request frame: the RPC type byte, then the request map. */
export function encodeRequest(type: RPCType, m: object): Buffer {
  const w = new WireWriter(sizeHint(m))
  w.byte(type)
  writeMessage(w, MESSAGE_KINDS[type].request, m)
  return w.bytes()
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
  return w.bytes()
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

function header(kind: string, f: Fields): RPCHeader {
  const h: RPCHeader = { ProtocolVersion: int(kind, f, 'ProtocolVersion') }
  if (f.ID !== undefined && f.ID !== null) h.ID = bytes(kind, f, 'ID')
  if (f.Addr !== undefined && f.Addr !== null) h.Addr = bytes(kind, f, 'Addr')
  return h
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
  switch (kind) {
    case 'AppendEntriesRequest': {
      const entries = f.Entries
      if (entries !== undefined && entries !== null && !Array.isArray(entries)) fail(kind, 'Entries', 'is not an array')
      const m: AppendEntriesRequest = {
        ...header(kind, f),
        Term: uint(kind, f, 'Term'),
        Leader: bytes(kind, f, 'Leader'),
        PrevLogEntry: uint(kind, f, 'PrevLogEntry'),
        PrevLogTerm: uint(kind, f, 'PrevLogTerm'),
        Entries: Array.isArray(entries) ? entries.map(readLog) : [],
        LeaderCommitIndex: uint(kind, f, 'LeaderCommitIndex'),
      }
      return m
    }
    case 'AppendEntriesResponse': {
      const m: AppendEntriesResponse = {
        ...header(kind, f),
        Term: uint(kind, f, 'Term'),
        LastLog: uint(kind, f, 'LastLog'),
        Success: bool(kind, f, 'Success'),
        NoRetryBackoff: bool(kind, f, 'NoRetryBackoff'),
      }
      return m
    }
    case 'RequestVoteRequest': {
      const m: RequestVoteRequest = {
        ...header(kind, f),
        Term: uint(kind, f, 'Term'),
        Candidate: bytes(kind, f, 'Candidate'),
        LastLogIndex: uint(kind, f, 'LastLogIndex'),
        LastLogTerm: uint(kind, f, 'LastLogTerm'),
        LeadershipTransfer: bool(kind, f, 'LeadershipTransfer'),
      }
      return m
    }
    case 'RequestVoteResponse': {
      const m: RequestVoteResponse = {
        ...header(kind, f),
        Term: uint(kind, f, 'Term'),
        Peers: bytes(kind, f, 'Peers'),
        Granted: bool(kind, f, 'Granted'),
      }
      return m
    }
    case 'InstallSnapshotRequest': {
      const m: InstallSnapshotRequest = {
        ...header(kind, f),
        SnapshotVersion: int(kind, f, 'SnapshotVersion'),
        Term: uint(kind, f, 'Term'),
        Leader: bytes(kind, f, 'Leader'),
        LastLogIndex: uint(kind, f, 'LastLogIndex'),
        LastLogTerm: uint(kind, f, 'LastLogTerm'),
        Peers: bytes(kind, f, 'Peers'),
        Configuration: bytes(kind, f, 'Configuration'),
        ConfigurationIndex: uint(kind, f, 'ConfigurationIndex'),
        Size: int(kind, f, 'Size'),
      }
      if (m.Size < 0) fail(kind, 'Size', `is negative (${m.Size})`)
      return m
    }
    case 'InstallSnapshotResponse': {
      const m: InstallSnapshotResponse = {
        ...header(kind, f),
        Term: uint(kind, f, 'Term'),
        Success: bool(kind, f, 'Success'),
      }
      return m
    }
    case 'TimeoutNowRequest':
    case 'TimeoutNowResponse': {
      const m: TimeoutNowRequest | TimeoutNowResponse = header(kind, f)
      return m
    }
    case 'RequestPreVoteRequest': {
      const m: RequestPreVoteRequest = {
        ...header(kind, f),
        Term: uint(kind, f, 'Term'),
        LastLogIndex: uint(kind, f, 'LastLogIndex'),
        LastLogTerm: uint(kind, f, 'LastLogTerm'),
      }
      return m
    }
    case 'RequestPreVoteResponse': {
      const m: RequestPreVoteResponse = {
        ...header(kind, f),
        Term: uint(kind, f, 'Term'),
        Granted: bool(kind, f, 'Granted'),
      }
      return m
    }
  }
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
