import { decodeFirst, MsgpackWriter } from '@nomadic/msgpack'
import { MalformedMessageError } from '../errors.js'

/** `ping`: direct probe. Source* are omitted when empty (Go's omitempty). */
export interface Ping {
  seqNo: number
  node: string
  sourceAddr?: Buffer
  sourcePort?: number
  sourceNode?: string
}
/** `indirectPingReq`: ask a peer to probe `node` for us. */
export interface IndirectPingReq {
  seqNo: number
  target: Buffer
  port: number
  node: string
  nack: boolean
  sourceAddr?: Buffer
  sourcePort?: number
  sourceNode?: string
}
export interface AckResp { seqNo: number; payload: Buffer | null }
export interface NackResp { seqNo: number }
export interface ErrResp { error: string }
/** `suspect` and `dead` share a shape. */
export interface Suspect { incarnation: number; node: string; from: string }
export type Dead = Suspect
export interface Alive {
  incarnation: number
  node: string
  addr: Buffer
  port: number
  meta: Buffer | null
  /** [PMin, PMax, PCur, DMin, DMax, DCur]. */
  vsn: Buffer
}
export interface PushPullHeader { nodes: number; userStateLen: number; join: boolean }
export interface PushNodeState {
  name: string
  addr: Buffer
  port: number
  meta: Buffer | null
  incarnation: number
  state: number
  vsn: Buffer
}
export interface UserMsgHeader { userMsgLen: number }
export interface Compress { algo: number; buf: Buffer }

/** Go []byte fields: raw strings under these keys decode as Buffers. */
const bytesKeys = new Set(['Addr', 'Meta', 'Vsn', 'Payload', 'Buf', 'Target', 'SourceAddr'])
const decodeOptions = { bytesKeys, maxDepth: 8, maxItems: 64 }

/**
 * The keys in go-msgpack's order (sorted by field name). The encoders below list their fields
 * already sorted, so on the hot path this is one pass of comparisons and no sort.
 */
function sortedKeys(fields: Record<string, unknown>): string[] {
  const keys = Object.keys(fields).filter((k) => fields[k] !== undefined)
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return keys.sort()
  return keys
}

function writeBody(w: MsgpackWriter, fields: Record<string, unknown>): void {
  const keys = sortedKeys(fields)
  w.mapHeader(keys.length)
  for (const k of keys) {
    w.string(k)
    w.value(fields[k])
  }
}

/** Encodes a body as go-msgpack does: a map keyed by Go field names, in sorted order. */
export function encodeBody(fields: Record<string, unknown>): Buffer {
  const w = new MsgpackWriter(128)
  writeBody(w, fields)
  return w.finish()
}

/** A message: its type byte, then its body. */
export function encodeMessage(type: number, fields: Record<string, unknown>): Buffer {
  const w = new MsgpackWriter(128)
  w.byte(type)
  writeBody(w, fields)
  return w.finish()
}

/** Decodes one msgpack map at `offset`; returns it and where it ended. */
export function decodeMap(buf: Buffer, offset = 0): { map: Record<string, unknown>; end: number } {
  const { value, end } = decodeFirst(buf, offset, decodeOptions)
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value)) {
    throw new MalformedMessageError('message body is not a msgpack map')
  }
  return { map: value as Record<string, unknown>, end }
}

/** @internal */
export function uint(m: Record<string, unknown>, key: string, max: number): number {
  const v = m[key]
  if (v === undefined || v === null) return 0
  const n = typeof v === 'bigint' ? Number(v) : v
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max) {
    throw new MalformedMessageError(`field ${key} is not an integer in [0, ${max}]`)
  }
  return n
}
/** @internal */
export function str(m: Record<string, unknown>, key: string): string {
  const v = m[key]
  if (v === undefined || v === null) return ''
  if (typeof v === 'string') return v
  if (Buffer.isBuffer(v)) return v.toString('utf8')
  throw new MalformedMessageError(`field ${key} is not a string`)
}
/** @internal */
export function bytes(m: Record<string, unknown>, key: string): Buffer | null {
  const v = m[key]
  if (v === undefined || v === null) return null
  if (Buffer.isBuffer(v)) return v
  if (typeof v === 'string') return Buffer.from(v, 'utf8')
  // Newer encoders may write []uint8 as an array of small integers.
  if (Array.isArray(v) && v.length <= 1024 && v.every((x) => typeof x === 'number' && x >= 0 && x < 256)) {
    return Buffer.from(v as number[])
  }
  throw new MalformedMessageError(`field ${key} is not a byte string`)
}
/** @internal */
export function bool(m: Record<string, unknown>, key: string): boolean {
  const v = m[key]
  if (v === undefined || v === null) return false
  if (typeof v === 'boolean') return v
  if (v === 0 || v === 1) return v === 1
  throw new MalformedMessageError(`field ${key} is not a bool`)
}

const U32 = 0xffffffff
const U16 = 0xffff

type SourceFields = Pick<Ping, 'sourceAddr' | 'sourcePort' | 'sourceNode'>

// Source* are `omitempty` in Go: absent when empty, both ways. Added in key order, so a ping's
// body (Node, SeqNo, Source*) needs no sort.
function writeSource(out: Record<string, unknown>, p: SourceFields): Record<string, unknown> {
  if (p.sourceAddr !== undefined && p.sourceAddr.length > 0) out.SourceAddr = p.sourceAddr
  if (p.sourceNode !== undefined && p.sourceNode !== '') out.SourceNode = p.sourceNode
  if (p.sourcePort !== undefined && p.sourcePort !== 0) out.SourcePort = p.sourcePort
  return out
}
function readSource<T extends SourceFields>(m: Record<string, unknown>, p: T): T {
  const sa = bytes(m, 'SourceAddr')
  if (sa !== null && sa.length > 0) p.sourceAddr = sa
  const sp = uint(m, 'SourcePort', U16)
  if (sp !== 0) p.sourcePort = sp
  const sn = str(m, 'SourceNode')
  if (sn !== '') p.sourceNode = sn
  return p
}

export function encodePing(p: Ping): Record<string, unknown> {
  return writeSource({ Node: p.node, SeqNo: p.seqNo }, p)
}
export function decodePing(m: Record<string, unknown>): Ping {
  return readSource<Ping>(m, { seqNo: uint(m, 'SeqNo', U32), node: str(m, 'Node') })
}

export function encodeIndirectPing(p: IndirectPingReq): Record<string, unknown> {
  return writeSource({ SeqNo: p.seqNo, Target: p.target, Port: p.port, Node: p.node, Nack: p.nack }, p)
}
export function decodeIndirectPing(m: Record<string, unknown>): IndirectPingReq {
  return readSource<IndirectPingReq>(m, {
    seqNo: uint(m, 'SeqNo', U32),
    target: bytes(m, 'Target') ?? Buffer.alloc(0),
    port: uint(m, 'Port', U16),
    node: str(m, 'Node'),
    nack: bool(m, 'Nack'),
  })
}

export const encodeAck = (a: AckResp): Record<string, unknown> => ({ Payload: a.payload, SeqNo: a.seqNo })
export const decodeAck = (m: Record<string, unknown>): AckResp => ({ seqNo: uint(m, 'SeqNo', U32), payload: bytes(m, 'Payload') })
export const encodeNack = (a: NackResp): Record<string, unknown> => ({ SeqNo: a.seqNo })
export const decodeNack = (m: Record<string, unknown>): NackResp => ({ seqNo: uint(m, 'SeqNo', U32) })
export const encodeErr = (e: ErrResp): Record<string, unknown> => ({ Error: e.error })
export const decodeErr = (m: Record<string, unknown>): ErrResp => ({ error: str(m, 'Error') })

export const encodeSuspect = (s: Suspect): Record<string, unknown> => ({ From: s.from, Incarnation: s.incarnation, Node: s.node })
export function decodeSuspect(m: Record<string, unknown>): Suspect {
  return { incarnation: uint(m, 'Incarnation', U32), node: str(m, 'Node'), from: str(m, 'From') }
}

export function encodeAlive(a: Alive): Record<string, unknown> {
  return { Addr: a.addr, Incarnation: a.incarnation, Meta: a.meta, Node: a.node, Port: a.port, Vsn: a.vsn }
}
export function decodeAlive(m: Record<string, unknown>): Alive {
  return {
    incarnation: uint(m, 'Incarnation', U32),
    node: str(m, 'Node'),
    addr: bytes(m, 'Addr') ?? Buffer.alloc(0),
    port: uint(m, 'Port', U16),
    meta: bytes(m, 'Meta'),
    vsn: bytes(m, 'Vsn') ?? Buffer.alloc(0),
  }
}

export function encodePushPullHeader(h: PushPullHeader): Record<string, unknown> {
  return { Join: h.join, Nodes: h.nodes, UserStateLen: h.userStateLen }
}
export function decodePushPullHeader(m: Record<string, unknown>): PushPullHeader {
  return { nodes: uint(m, 'Nodes', Number.MAX_SAFE_INTEGER), userStateLen: uint(m, 'UserStateLen', Number.MAX_SAFE_INTEGER), join: bool(m, 'Join') }
}

export function encodePushNodeState(n: PushNodeState): Record<string, unknown> {
  return { Addr: n.addr, Incarnation: n.incarnation, Meta: n.meta, Name: n.name, Port: n.port, State: n.state, Vsn: n.vsn }
}
export function decodePushNodeState(m: Record<string, unknown>): PushNodeState {
  return {
    name: str(m, 'Name'),
    addr: bytes(m, 'Addr') ?? Buffer.alloc(0),
    port: uint(m, 'Port', U16),
    meta: bytes(m, 'Meta'),
    incarnation: uint(m, 'Incarnation', U32),
    state: uint(m, 'State', 255),
    vsn: bytes(m, 'Vsn') ?? Buffer.alloc(0),
  }
}

export const encodeUserMsgHeader = (h: UserMsgHeader): Record<string, unknown> => ({ UserMsgLen: h.userMsgLen })
export const decodeUserMsgHeader = (m: Record<string, unknown>): UserMsgHeader => ({ userMsgLen: uint(m, 'UserMsgLen', Number.MAX_SAFE_INTEGER) })

export const encodeCompress = (c: Compress): Record<string, unknown> => ({ Algo: c.algo, Buf: c.buf })
export function decodeCompress(m: Record<string, unknown>): Compress {
  return { algo: uint(m, 'Algo', 255), buf: bytes(m, 'Buf') ?? Buffer.alloc(0) }
}
