import { IncompleteError } from '@nomadic/msgpack'
import { MAX_DECOMPRESSED_BYTES, MAX_PUSH_PULL_NODES, MAX_STREAM_BYTES, MessageType } from '../constants.js'
import { DecryptError, MalformedMessageError, TooLargeError } from '../errors.js'
import { decryptPayload, encryptPayload, encryptedLength, type EncryptionVersion } from '../security/encrypt.js'
import type { Keyring } from '../security/keyring.js'
import { lzwCompress, lzwDecompress } from './lzw.js'
import {
  decodeAck, decodeCompress, decodeErr, decodeMap, decodePing, decodePushNodeState, decodePushPullHeader,
  decodeUserMsgHeader, encodeCompress, encodeMessage,
  type AckResp, type ErrResp, type Ping, type PushNodeState, type PushPullHeader,
} from './messages.js'

/** What one stream carries. */
export type StreamMessage =
  | { type: typeof MessageType.pushPull; header: PushPullHeader; nodes: PushNodeState[]; userState: Buffer | null }
  | { type: typeof MessageType.ping; ping: Ping }
  | { type: typeof MessageType.ackResp; ack: AckResp }
  | { type: typeof MessageType.err; err: ErrResp }
  | { type: typeof MessageType.user; payload: Buffer }
  | { type: number; unknown: true }

/** Encryption settings shared by packets and streams. */
export interface WireSecurity {
  keyring: Keyring | undefined
  verifyIncoming: boolean
  verifyOutgoing: boolean
  version: EncryptionVersion
}

/** Wraps a stream message: LZW-compressed when enabled, then `[10][len][payload]` when encrypting. */
export function sealStream(msg: Buffer, compress: boolean, security: WireSecurity): Buffer {
  let out = msg
  if (compress) out = encodeMessage(MessageType.compress, encodeCompress({ algo: 0, buf: lzwCompress(msg) }))
  const key = security.keyring?.getPrimaryKey()
  if (key !== undefined && security.verifyOutgoing) {
    const header = Buffer.allocUnsafe(5)
    header[0] = MessageType.encrypt
    header.writeUInt32BE(encryptedLength(security.version, out.length), 1)
    out = Buffer.concat([header, encryptPayload(security.version, key, out, header)])
  }
  return out
}

/**
 * Parses a stream message from the bytes received so far. Returns undefined when more bytes
 * are needed; throws on malformed or oversized input. `complete` says no more bytes will come.
 */
export function parseStream(buf: Buffer, complete: boolean, security: WireSecurity): StreamMessage | undefined {
  if (buf.length === 0) {
    if (complete) throw new MalformedMessageError('empty stream')
    return undefined
  }
  if (buf[0] === MessageType.hasLabel) {
    if (buf.length < 2) return need(complete)
    const len = buf[1]!
    if (buf.length < 2 + len) return need(complete)
    return parseStream(buf.subarray(2 + len), complete, security)
  }
  if (buf[0] === MessageType.encrypt) {
    const keys = security.keyring?.getKeys() ?? []
    if (keys.length === 0) throw new DecryptError('Remote state is encrypted and encryption is not configured')
    if (buf.length < 5) return need(complete)
    const len = buf.readUInt32BE(1)
    if (len > MAX_STREAM_BYTES) throw new TooLargeError(`Remote node state is larger than limit (${len})`)
    if (buf.length < 5 + len) return need(complete)
    const plain = decryptPayload(keys, buf.subarray(5, 5 + len), buf.subarray(0, 5))
    return parseInner(plain, true)
  }
  if (security.keyring !== undefined && security.keyring.size > 0 && security.verifyIncoming) {
    throw new DecryptError('Encryption is configured but remote state is not encrypted')
  }
  return parseInner(buf, complete)
}

function need(complete: boolean): undefined {
  if (complete) throw new MalformedMessageError('stream ended inside a message')
  return undefined
}

function parseInner(buf: Buffer, complete: boolean): StreamMessage | undefined {
  if (buf.length === 0) return need(complete)
  try {
    if (buf[0] === MessageType.compress) {
      const { map } = decodeMap(buf, 1)
      const c = decodeCompress(map)
      if (c.algo !== 0) throw new MalformedMessageError(`unknown compression algorithm ${c.algo}`)
      const inner = lzwDecompress(c.buf, MAX_DECOMPRESSED_BYTES)
      return parseBody(inner)
    }
    return parseBody(buf)
  } catch (err) {
    if (err instanceof IncompleteError) return need(complete)
    throw err
  }
}

function parseBody(buf: Buffer): StreamMessage {
  if (buf.length === 0) throw new IncompleteError(0, 1)
  const type = buf[0]!
  switch (type) {
    case MessageType.pushPull: {
      let { map, end } = decodeMap(buf, 1)
      const header = decodePushPullHeader(map)
      if (header.nodes > MAX_PUSH_PULL_NODES) throw new TooLargeError(`push-pull of ${header.nodes} nodes exceeds the limit`)
      if (header.userStateLen > MAX_STREAM_BYTES) throw new TooLargeError(`user state of ${header.userStateLen} bytes exceeds the limit`)
      const nodes: PushNodeState[] = []
      for (let i = 0; i < header.nodes; i++) {
        const d = decodeMap(buf, end)
        nodes.push(decodePushNodeState(d.map))
        end = d.end
      }
      let userState: Buffer | null = null
      if (header.userStateLen > 0) {
        if (buf.length < end + header.userStateLen) throw new IncompleteError(buf.length, end + header.userStateLen - buf.length)
        userState = Buffer.from(buf.subarray(end, end + header.userStateLen))
      }
      return { type, header, nodes, userState }
    }
    case MessageType.ping:
      return { type, ping: decodePing(decodeMap(buf, 1).map) }
    case MessageType.ackResp:
      return { type, ack: decodeAck(decodeMap(buf, 1).map) }
    case MessageType.err:
      return { type, err: decodeErr(decodeMap(buf, 1).map) }
    case MessageType.user: {
      const { map, end } = decodeMap(buf, 1)
      const { userMsgLen } = decodeUserMsgHeader(map)
      if (userMsgLen > MAX_STREAM_BYTES) throw new TooLargeError(`user message of ${userMsgLen} bytes exceeds the limit`)
      if (buf.length < end + userMsgLen) throw new IncompleteError(buf.length, end + userMsgLen - buf.length)
      return { type, payload: Buffer.from(buf.subarray(end, end + userMsgLen)) }
    }
    default:
      return { type, unknown: true }
  }
}
