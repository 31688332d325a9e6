import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  Keyring, MessageType, crc32, decryptPayload, encryptPayload, encryptedLength, ipToBytes, ipToString,
  lzwCompress, lzwDecompress, makeCompound, parseStream, sealStream, splitCompound, wire, DecryptError,
} from '../src/index.js'
import { crc32Table } from '../src/wire/crc32.js'

const hex = (b: Buffer): string => b.toString('hex')

describe('message bodies match go-msgpack 0.5.5 golden vectors', () => {
  it('ping', () => {
    expect(hex(wire.encodeMessage(MessageType.ping, wire.encodePing({ seqNo: 1, node: 'b' })))).toBe('0082a44e6f6465a162a55365714e6f01')
    const withSource = wire.encodeMessage(MessageType.ping, wire.encodePing({
      seqNo: 300, node: 'b', sourceAddr: ipToBytes('127.0.0.1'), sourcePort: 7946, sourceNode: 'a',
    }))
    expect(hex(withSource)).toBe('0085a44e6f6465a162a55365714e6fcd012caa536f7572636541646472a47f000001aa536f757263654e6f6465a161aa536f75726365506f7274cd1f0a')
    const back = wire.decodePing(wire.decodeMap(withSource, 1).map)
    expect(back).toEqual({ seqNo: 300, node: 'b', sourceAddr: ipToBytes('127.0.0.1'), sourcePort: 7946, sourceNode: 'a' })
  })

  it('ackResp with nil payload', () => {
    expect(hex(wire.encodeMessage(MessageType.ackResp, wire.encodeAck({ seqNo: 1, payload: null })))).toBe('0282a75061796c6f6164c0a55365714e6f01')
  })

  it('alive with a 6-byte Vsn string', () => {
    const a = { incarnation: 1, node: 'a', addr: ipToBytes('127.0.0.1'), port: 7946, meta: null, vsn: Buffer.from([1, 5, 2, 2, 5, 4]) }
    const msg = wire.encodeMessage(MessageType.alive, wire.encodeAlive(a))
    expect(hex(msg)).toBe('0486a441646472a47f000001ab496e6361726e6174696f6e01a44d657461c0a44e6f6465a161a4506f7274cd1f0aa356736ea6010502020504')
    expect(wire.decodeAlive(wire.decodeMap(msg, 1).map)).toEqual(a)
  })

  it('push-pull header', () => {
    expect(hex(wire.encodeMessage(MessageType.pushPull, wire.encodePushPullHeader({ nodes: 200, userStateLen: 300, join: true }))))
      .toBe('0683a44a6f696ec3a54e6f646573ccc8ac5573657253746174654c656ecd012c')
  })

  it('accepts signed integer forms and Vsn as an array (newer encoders)', () => {
    const m = { Incarnation: 200, Node: 'x', Addr: Buffer.from([10, 0, 0, 1]), Port: 7946, Meta: null, Vsn: [1, 5, 2, 0, 0, 0] }
    const a = wire.decodeAlive(m)
    expect(a.vsn).toEqual(Buffer.from([1, 5, 2, 0, 0, 0]))
    expect(() => wire.decodeAlive({ ...m, Port: 70000 })).toThrow(/Port/)
  })
})

describe('LZW (Go compress/lzw, LSB, litWidth 8)', () => {
  const vectors: Array<[string, string]> = [
    ['', '000302'],
    ['a', '00c30404'],
    ['aaaaaaaa', '00c3081c283020'],
    ['TOBEORNOTTOBEORTOBEORNOT', '00a93c1152e48914274fa80824687061c183090302'],
  ]
  for (const [text, out] of vectors) {
    it(`compresses ${JSON.stringify(text)} byte for byte`, () => {
      expect(hex(lzwCompress(Buffer.from(text)))).toBe(out)
      expect(lzwDecompress(Buffer.from(out, 'hex'), 1000).toString()).toBe(text)
    })
  }

  it('round-trips data that fills the code table several times', () => {
    let x = 12345
    const data = Buffer.alloc(200_000)
    for (let i = 0; i < data.length; i++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff
      data[i] = i % 3 === 0 ? x & 0xff : (x >> 8) % 7
    }
    expect(lzwDecompress(lzwCompress(data), data.length).equals(data)).toBe(true)
  })

  it('matches Go byte for byte on data that fills the code table', () => {
    // Go: lzw.NewWriter(w, lzw.LSB, 8) over the same 50,000 bytes gives 45,878 bytes, sha256 below.
    let x = 12345
    const data = Buffer.alloc(50_000)
    for (let i = 0; i < data.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff
      data[i] = i % 3 === 0 ? x & 0xff : (x >>> 8) % 7
    }
    const out = lzwCompress(data)
    expect(out.length).toBe(45_878)
    expect(createHash('sha256').update(out).digest('hex')).toBe('0f1bdb390aa1c478445e814434af3441a03deac1a812ab396271f9fec085e91a')
    expect(lzwDecompress(out, data.length).equals(data)).toBe(true)
  })

  it('refuses output beyond the cap and truncated input', () => {
    const big = lzwCompress(Buffer.alloc(10_000, 7))
    expect(() => lzwDecompress(big, 1000)).toThrow(/exceeds/)
    expect(() => lzwDecompress(big.subarray(0, 3), 100_000)).toThrow(/ends before/)
  })
})

describe('compound and CRC', () => {
  it('splits what it makes and keeps complete parts of a short buffer', () => {
    const parts = [Buffer.from('one'), Buffer.from('second'), Buffer.from('3')]
    const c = makeCompound(parts)
    expect(c[0]).toBe(MessageType.compound)
    expect(splitCompound(c.subarray(1)).parts).toEqual(parts)
    const short = splitCompound(c.subarray(1, c.length - 2))
    expect(short.parts).toEqual(parts.slice(0, 1))
    expect(short.truncated).toBe(2)
  })

  it('crc32 is IEEE (the native sum and the JavaScript fallback alike)', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926)
    expect(crc32Table(Buffer.from('123456789'))).toBe(0xcbf43926)
    const random = Buffer.from(Array.from({ length: 1400 }, (_, i) => (i * 7919 + 13) & 0xff))
    expect(crc32Table(random)).toBe(crc32(random))
    expect(crc32(Buffer.alloc(0))).toBe(0)
  })
})

describe('AES-GCM payloads', () => {
  const key16 = Buffer.alloc(16, 1)
  const key32 = Buffer.alloc(32, 2)
  for (const version of [0, 1] as const) {
    it(`version ${version} round-trips and tries every key`, () => {
      const msg = Buffer.from('hello gossip')
      const sealed = encryptPayload(version, key32, msg, Buffer.from('aad'))
      expect(sealed.length).toBe(encryptedLength(version, msg.length))
      expect(decryptPayload([key16, key32], sealed, Buffer.from('aad'))).toEqual(msg)
      expect(() => decryptPayload([key16], sealed, Buffer.from('aad'))).toThrow(DecryptError)
      expect(() => decryptPayload([key32], sealed, Buffer.from('other'))).toThrow(DecryptError)
    })
  }

  it('keyring rules', () => {
    const ring = new Keyring([key16])
    ring.addKey(key32)
    ring.addKey(key32)
    expect(ring.size).toBe(2)
    expect(() => ring.removeKey(key16)).toThrow(/primary/)
    ring.useKey(key32)
    ring.removeKey(key16)
    expect(ring.getKeys()).toEqual([key32])
    expect(() => ring.addKey(Buffer.alloc(10))).toThrow(/16, 24 or 32/)
    expect(() => ring.useKey(key16)).toThrow(/not in the keyring/)
  })
})

describe('streams', () => {
  const plain = { keyring: undefined, verifyIncoming: true, verifyOutgoing: true, version: 1 as const }
  it('parses a compressed push-pull only once all of it arrived', () => {
    const nodes = [{ name: 'a', addr: ipToBytes('10.0.0.1'), port: 1, meta: null, incarnation: 3, state: 0, vsn: Buffer.from([1, 5, 2, 0, 0, 0]) }]
    const body = Buffer.concat([
      Buffer.from([MessageType.pushPull]),
      wire.encodeBody(wire.encodePushPullHeader({ nodes: 1, userStateLen: 4, join: false })),
      wire.encodeBody(wire.encodePushNodeState(nodes[0]!)),
      Buffer.from('user'),
    ])
    for (const compress of [false, true]) {
      const sealed = sealStream(body, compress, plain)
      expect(parseStream(sealed.subarray(0, sealed.length - 1), false, plain)).toBeUndefined()
      expect(() => parseStream(sealed.subarray(0, sealed.length - 1), true, plain)).toThrow()
      const msg = parseStream(sealed, false, plain)
      expect(msg && 'nodes' in msg ? msg.nodes : undefined).toEqual(nodes)
      expect(msg && 'userState' in msg ? msg.userState?.toString() : undefined).toBe('user')
    }
  })

  it('encrypted streams need a key, and a keyring refuses plaintext', () => {
    const ring = new Keyring([Buffer.alloc(16, 9)])
    const sec = { ...plain, keyring: ring }
    const ping = wire.encodeMessage(MessageType.ping, wire.encodePing({ seqNo: 5, node: 'x' }))
    const sealed = sealStream(ping, true, sec)
    expect(sealed[0]).toBe(MessageType.encrypt)
    expect(parseStream(sealed, false, sec)).toMatchObject({ type: MessageType.ping, ping: { seqNo: 5, node: 'x' } })
    expect(() => parseStream(sealed, false, plain)).toThrow(/not configured/)
    expect(() => parseStream(ping, false, sec)).toThrow(/not encrypted/)
    const huge = Buffer.from([10, 0xff, 0xff, 0xff, 0xff])
    expect(() => parseStream(huge, false, sec)).toThrow(/larger than limit/)
  })

  it('ip conversions', () => {
    expect(ipToString(ipToBytes('127.0.0.1'))).toBe('127.0.0.1')
    const mapped = Buffer.concat([Buffer.alloc(10), Buffer.from([0xff, 0xff, 10, 1, 2, 3])])
    expect(ipToString(mapped)).toBe('10.1.2.3')
    expect(ipToBytes('::1').length).toBe(16)
  })
})
