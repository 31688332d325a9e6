import { decodeFirst, encode } from '@nomadic/msgpack'
import { MalformedMessageError } from '../errors.js'
import { bool, bytes as fieldBytes, encodeMessage, str, uint } from '../wire/messages.js'
import type { Member } from './serf.js'

/** Serf message type bytes (serf 0.9.4 `messageType`), carried inside memberlist user messages. */
export const SerfMessageType = {
  leave: 0,
  join: 1,
  pushPull: 2,
  userEvent: 3,
  query: 4,
  queryResponse: 5,
  conflictResponse: 6,
  keyRequest: 7,
  keyResponse: 8,
  relay: 9,
} as const

export const QUERY_FLAG_ACK = 1
export const QUERY_FLAG_NO_BROADCAST = 2
export const FILTER_NODE = 0
export const FILTER_TAG = 1

export interface MessageJoin { ltime: number; node: string }
export interface MessageLeave { ltime: number; node: string; prune: boolean }
export interface UserEventEntry { name: string; payload: Buffer }
export interface UserEvents { ltime: number; events: UserEventEntry[] }
export interface MessagePushPull {
  ltime: number
  statusLTimes: Map<string, number>
  leftMembers: string[]
  eventLTime: number
  events: Array<UserEvents | null>
  queryLTime: number
}
export interface MessageUserEvent { ltime: number; name: string; payload: Buffer; cc: boolean }
export interface MessageQuery {
  ltime: number
  id: number
  addr: Buffer
  port: number
  sourceNode: string
  filters: Buffer[]
  flags: number
  relayFactor: number
  /** Nanoseconds, as Go's time.Duration. */
  timeout: number
  name: string
  payload: Buffer
}
/** `payload` null is Go's nil slice (acks carry none). */
export interface MessageQueryResponse { ltime: number; id: number; from: string; flags: number; payload: Buffer | null }
/** serf's exported `Member` as it travels in a conflict response: IP bytes, MemberStatus number. */
export type WireMember = Omit<Member, 'addr' | 'status'> & { addr: Buffer; status: number }
export interface NodeKeyResponse { result: boolean; message: string; keys: string[]; primaryKey: string }
export interface RelayHeader { destIP: Buffer; destPort: number; destName: string }

const bytesKeys = new Set(['Payload', 'Addr', 'Filters', 'Key', 'IP'])
const opts = { bytesKeys, maxDepth: 8, maxItems: 65536 }

function asMap(v: unknown, what: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v)) throw new MalformedMessageError(`${what} is not a map`)
  return v as Record<string, unknown>
}
const num = (m: Record<string, unknown>, k: string): number => uint(m, k, Number.MAX_SAFE_INTEGER)
const bytes = (m: Record<string, unknown>, k: string): Buffer => fieldBytes(m, k) ?? Buffer.alloc(0)

/** Sorts the keys of plain objects at every depth, as go-msgpack writes struct fields. */
function sortedDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedDeep)
  if (v === null || typeof v !== 'object' || Buffer.isBuffer(v) || v instanceof Map) return v
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(v).sort()) out[k] = sortedDeep((v as Record<string, unknown>)[k])
  return out
}

/** `[type][msgpack body]` with Go field names in sorted order (nested structs too). */
export function encodeSerf(type: number, fields: Record<string, unknown>): Buffer {
  return encodeMessage(type, sortedDeep(fields) as Record<string, unknown>)
}

/** Decodes the msgpack body after the type byte. */
export function decodeSerfBody(buf: Buffer, offset = 1): { map: Record<string, unknown>; end: number } {
  const { value, end } = decodeFirst(buf, offset, opts)
  return { map: asMap(value, 'serf message'), end }
}

export const encodeJoin = (m: MessageJoin): Buffer => encodeSerf(SerfMessageType.join, { LTime: m.ltime, Node: m.node })
export const decodeJoin = (m: Record<string, unknown>): MessageJoin => ({ ltime: num(m, 'LTime'), node: str(m, 'Node') })
export const encodeLeave = (m: MessageLeave): Buffer => encodeSerf(SerfMessageType.leave, { LTime: m.ltime, Node: m.node, Prune: m.prune })
export const decodeLeave = (m: Record<string, unknown>): MessageLeave => ({ ltime: num(m, 'LTime'), node: str(m, 'Node'), prune: bool(m, 'Prune') })

export function encodeUserEvent(e: MessageUserEvent): Buffer {
  return encodeSerf(SerfMessageType.userEvent, { LTime: e.ltime, Name: e.name, Payload: e.payload, CC: e.cc })
}
export function decodeUserEvent(m: Record<string, unknown>): MessageUserEvent {
  return { ltime: num(m, 'LTime'), name: str(m, 'Name'), payload: bytes(m, 'Payload'), cc: bool(m, 'CC') }
}

export function encodePushPull(p: MessagePushPull): Buffer {
  const status: Record<string, number> = {}
  for (const [k, v] of p.statusLTimes) status[k] = v
  return encodeSerf(SerfMessageType.pushPull, {
    LTime: p.ltime,
    StatusLTimes: status,
    LeftMembers: p.leftMembers,
    EventLTime: p.eventLTime,
    Events: p.events.map((e) => (e === null ? null : { LTime: e.ltime, Events: e.events.map((x) => ({ Name: x.name, Payload: x.payload })) })),
    QueryLTime: p.queryLTime,
  })
}
export function decodePushPull(m: Record<string, unknown>): MessagePushPull {
  const status = new Map<string, number>()
  const sl = m.StatusLTimes
  if (sl !== null && sl !== undefined) for (const [k, v] of Object.entries(asMap(sl, 'StatusLTimes'))) status.set(k, Number(v))
  const left = Array.isArray(m.LeftMembers) ? m.LeftMembers.map((x) => (Buffer.isBuffer(x) ? x.toString() : String(x))) : []
  const events: Array<UserEvents | null> = []
  if (Array.isArray(m.Events)) {
    for (const e of m.Events) {
      if (e === null) { events.push(null); continue }
      const em = asMap(e, 'userEvents')
      const list = Array.isArray(em.Events) ? em.Events.map((x) => {
        const xm = asMap(x, 'userEvent')
        return { name: str(xm, 'Name'), payload: bytes(xm, 'Payload') }
      }) : []
      events.push({ ltime: num(em, 'LTime'), events: list })
    }
  }
  return { ltime: num(m, 'LTime'), statusLTimes: status, leftMembers: left, eventLTime: num(m, 'EventLTime'), events, queryLTime: num(m, 'QueryLTime') }
}

export function encodeQuery(q: MessageQuery): Buffer {
  return encodeSerf(SerfMessageType.query, {
    LTime: q.ltime, ID: q.id, Addr: q.addr, Port: q.port, SourceNode: q.sourceNode, Filters: q.filters,
    Flags: q.flags, RelayFactor: q.relayFactor, Timeout: q.timeout, Name: q.name, Payload: q.payload,
  })
}
export function decodeQuery(m: Record<string, unknown>): MessageQuery {
  const filters = Array.isArray(m.Filters) ? m.Filters.map((f) => (Buffer.isBuffer(f) ? f : Buffer.from(String(f)))) : []
  return {
    ltime: num(m, 'LTime'), id: num(m, 'ID'), addr: bytes(m, 'Addr'), port: num(m, 'Port'), sourceNode: str(m, 'SourceNode'),
    filters, flags: num(m, 'Flags'), relayFactor: num(m, 'RelayFactor'), timeout: num(m, 'Timeout'), name: str(m, 'Name'), payload: bytes(m, 'Payload'),
  }
}

export function encodeQueryResponse(r: MessageQueryResponse): Buffer {
  return encodeSerf(SerfMessageType.queryResponse, { LTime: r.ltime, ID: r.id, From: r.from, Flags: r.flags, Payload: r.payload })
}
export function decodeQueryResponse(m: Record<string, unknown>): MessageQueryResponse & { payload: Buffer } {
  return { ltime: num(m, 'LTime'), id: num(m, 'ID'), from: str(m, 'From'), flags: num(m, 'Flags'), payload: bytes(m, 'Payload') }
}

export function encodeNodeFilter(names: string[]): Buffer {
  return Buffer.concat([Buffer.from([FILTER_NODE]), encode(names)])
}
export function encodeTagFilter(tag: string, expr: string): Buffer {
  return encodeMessage(FILTER_TAG, { Expr: expr, Tag: tag })
}

/** A conflict-resolution answer: what this node knows of the contested name (null: nothing). */
export function encodeConflictResponse(m: WireMember | null): Buffer {
  if (m === null) return Buffer.from([SerfMessageType.conflictResponse, 0xc0])
  return encodeSerf(SerfMessageType.conflictResponse, {
    Name: m.name, Addr: m.addr, Port: m.port, Tags: m.tags, Status: m.status,
    ProtocolMin: m.protocolMin, ProtocolMax: m.protocolMax, ProtocolCur: m.protocolCur,
    DelegateMin: m.delegateMin, DelegateMax: m.delegateMax, DelegateCur: m.delegateCur,
  })
}
/** Decodes a conflict-resolution answer; null when the node knew nothing of the name. */
export function decodeConflictResponse(buf: Buffer): WireMember | null {
  if (buf[0] !== SerfMessageType.conflictResponse) throw new MalformedMessageError('not a conflict response')
  if (buf.length === 2 && buf[1] === 0xc0) return null
  const m = decodeSerfBody(buf).map
  const tags: Record<string, string> = {}
  const t = m.Tags
  if (t !== null && t !== undefined) for (const [k, v] of Object.entries(asMap(t, 'Tags'))) tags[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v)
  return {
    name: str(m, 'Name'), addr: bytes(m, 'Addr'), port: num(m, 'Port'), tags, status: num(m, 'Status'),
    protocolMin: num(m, 'ProtocolMin'), protocolMax: num(m, 'ProtocolMax'), protocolCur: num(m, 'ProtocolCur'),
    delegateMin: num(m, 'DelegateMin'), delegateMax: num(m, 'DelegateMax'), delegateCur: num(m, 'DelegateCur'),
  }
}

export const encodeKeyRequest = (key: Buffer): Buffer => encodeSerf(SerfMessageType.keyRequest, { Key: key })
export function decodeKeyRequest(buf: Buffer): Buffer {
  if (buf[0] !== SerfMessageType.keyRequest) throw new MalformedMessageError('not a key request')
  return bytes(decodeSerfBody(buf).map, 'Key')
}
export function encodeKeyResponse(r: NodeKeyResponse): Buffer {
  return encodeSerf(SerfMessageType.keyResponse, { Result: r.result, Message: r.message, Keys: r.keys, PrimaryKey: r.primaryKey })
}
export function decodeKeyResponse(buf: Buffer): NodeKeyResponse {
  if (buf[0] !== SerfMessageType.keyResponse) throw new MalformedMessageError('not a key response')
  const m = decodeSerfBody(buf).map
  const keys = Array.isArray(m.Keys) ? m.Keys.map((k) => (Buffer.isBuffer(k) ? k.toString() : String(k))) : []
  return { result: bool(m, 'Result'), message: str(m, 'Message'), keys, primaryKey: str(m, 'PrimaryKey') }
}

/** `[9][relayHeader][inner message]`: a response routed through another member. */
export function encodeRelay(h: RelayHeader, inner: Buffer): Buffer {
  return Buffer.concat([encodeMessage(SerfMessageType.relay, { DestAddr: { IP: h.destIP, Port: h.destPort, Zone: '' }, DestName: h.destName }), inner])
}
export function decodeRelay(buf: Buffer): { header: RelayHeader; inner: Buffer } {
  const { map, end } = decodeSerfBody(buf)
  const dest = asMap(map.DestAddr ?? {}, 'DestAddr')
  return { header: { destIP: bytes(dest, 'IP'), destPort: num(dest, 'Port'), destName: str(map, 'DestName') }, inner: buf.subarray(end) }
}
