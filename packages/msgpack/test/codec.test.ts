import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { decode, decodeFirst, encode, Ext, IncompleteError, MsgpackError, StreamDecoder } from '../src/index.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('encode writes what go-msgpack writes', () => {
  it('writes strings and byte slices as old-style raw strings, never str8 or bin', () => {
    expect(hex(encode('hi'))).toBe('a26869')
    expect(hex(encode(Buffer.from([1, 2, 3])))).toBe('a3010203')
    const s40 = 'x'.repeat(40)
    expect(hex(encode(s40)).slice(0, 6)).toBe('da0028')
    expect(hex(encode(Buffer.alloc(40))).slice(0, 6)).toBe('da0028')
  })

  it('writes the new spec when asked', () => {
    expect(hex(encode('x'.repeat(40), { newSpec: true })).slice(0, 4)).toBe('d928')
    expect(hex(encode(Buffer.from([7]), { newSpec: true }))).toBe('c40107')
  })

  it('writes integers in the smallest form and large ones as 64-bit integers, not floats', () => {
    expect(hex(encode(5))).toBe('05')
    expect(hex(encode(-1))).toBe('ff')
    expect(hex(encode(200))).toBe('ccc8')
    expect(hex(encode(65536))).toBe('ce00010000')
    expect(hex(encode(2 ** 40))).toBe('cf0000010000000000')
    expect(hex(encode(-200))).toBe('d1ff38')
    expect(hex(encode(1_700_000_000_000_000_000n))).toBe('cf17979cfe362a0000')
    expect(hex(encode(-(2n ** 40n)))).toBe('d3ffffff0000000000')
    expect(hex(encode(1.5))).toBe('cb3ff8000000000000')
  })

  it('writes objects as maps keyed by field names in insertion order, skipping undefined', () => {
    expect(hex(encode({ Term: 1, Leader: Buffer.from('a'), Skip: undefined }))).toBe('82a45465726d01a64c6561646572a161')
  })

  it('refuses values it cannot represent', () => {
    expect(() => encode(() => 1)).toThrow(MsgpackError)
    expect(() => encode(2n ** 64n)).toThrow(/64 bits/)
  })
})

describe('decode', () => {
  it('reads raw strings as text by default and as bytes for the named keys', () => {
    const bytes = encode({ Data: Buffer.from([0xff, 0x00]), Name: 'n', Entries: [{ Data: Buffer.from('ab') }] })
    const value = decode(bytes, { bytesKeys: new Set(['Data']) }) as any
    expect(value.Name).toBe('n')
    expect(Buffer.isBuffer(value.Data)).toBe(true)
    expect([...value.Data]).toEqual([0xff, 0x00])
    expect(value.Entries[0].Data.toString()).toBe('ab')
  })

  it('accepts both integer forms and keeps 64-bit values exact', () => {
    expect(decode(Buffer.from('cf0000000000000005', 'hex'))).toBe(5)
    expect(decode(Buffer.from('d30000000000000005', 'hex'))).toBe(5)
    expect(decode(Buffer.from('cfffffffffffffffff', 'hex'))).toBe(2n ** 64n - 1n)
    expect(decode(Buffer.from('d38000000000000000', 'hex'))).toBe(-(2n ** 63n))
  })

  it('decodes ext values', () => {
    const v = decode(encode(new Ext(5, Buffer.from([1, 2, 3, 4])))) as Ext
    expect(v).toBeInstanceOf(Ext)
    expect(v.type).toBe(5)
    expect([...v.data]).toEqual([1, 2, 3, 4])
  })

  it('reports a declared length beyond the bytes present without allocating', () => {
    expect(() => decode(Buffer.from('dbffffffff', 'hex'))).toThrow(IncompleteError)
    expect(() => decode(Buffer.from('ddffffffff', 'hex'))).toThrow(/limit/)
    expect(() => decode(Buffer.from('dd00010000', 'hex'))).toThrow(IncompleteError)
    expect(() => decode(Buffer.from('df00010000', 'hex'))).toThrow(IncompleteError)
    expect(() => decode(Buffer.from('dd00000005', 'hex'), { maxItems: 4 })).toThrow(/limit/)
  })

  it('rejects malformed input, trailing bytes and deep nesting', () => {
    expect(() => decode(Buffer.from([0xc1]))).toThrow(/0xc1/)
    expect(() => decode(Buffer.from([0x01, 0x02]))).toThrow(/ends at 1/)
    expect(() => decode(Buffer.alloc(200, 0x91), { maxDepth: 50 })).toThrow(/deeper/)
  })

  it('does not let a __proto__ key change the prototype', () => {
    const v = decode(encode(new Map([['__proto__', { polluted: true }]]))) as Record<string, unknown>
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype)
    expect(({} as any).polluted).toBeUndefined()
  })

  it('round-trips arbitrary values', () => {
    const value = fc.letrec((tie) => ({
      leaf: fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.double({ noNaN: true, noDefaultInfinity: true })),
      node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node')), fc.dictionary(fc.string().filter((k) => k !== '__proto__'), tie('node'))),
    })).node
    fc.assert(fc.property(value, (v) => {
      expect(decode(encode(v))).toEqual(v)
    }), { numRuns: 300 })
  })

  it('never throws anything but MsgpackError on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      try {
        decodeFirst(Buffer.from(bytes))
      } catch (err) {
        expect(err).toBeInstanceOf(MsgpackError)
      }
    }), { numRuns: 2000 })
  })
})

describe('map keys', () => {
  it('decodes every key right however many distinct keys pass and whatever they share', () => {
    // Thousands of short keys fill and overwrite the key cache's slots; each must come back as written.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 10_000; i++) {
        const value = { [`k${i}`]: i, [`K${i % 7}`]: 'x', ['s'.repeat(1 + (i % 40))]: true }
        expect(decode(encode(value))).toEqual(value)
      }
    }
    const odd = { 'é': 1, ['x'.repeat(31)]: 2, ['y'.repeat(32)]: 3, ['z'.repeat(33)]: 4, '': 5, __proto__x: 6 }
    expect(decode(encode(odd))).toEqual(odd)
    expect(decode(encode(odd))).toEqual(odd)
  })

  it('reads str8 keys, and a key cut short is incomplete', () => {
    // 0xd9: a str8 key, as the new spec may write it.
    const bytes = Buffer.concat([Buffer.from([0x81, 0xd9, 3]), Buffer.from('Seq'), Buffer.from([7])])
    expect(decode(bytes)).toEqual({ Seq: 7 })
    expect(() => decode(bytes.subarray(0, 4))).toThrow(IncompleteError)
  })
})

describe('StreamDecoder', () => {
  it('splits back-to-back values arriving in arbitrary chunks', () => {
    const values = [{ ServiceMethod: 'Status.Ping', Seq: 1 }, {}, { A: 'x'.repeat(300) }, 42]
    const bytes = Buffer.concat(values.map((v) => encode(v)))
    for (const size of [1, 3, 7, 100, bytes.length]) {
      const stream = new StreamDecoder()
      const out: unknown[] = []
      for (let i = 0; i < bytes.length; i += size) {
        stream.push(bytes.subarray(i, i + size))
        for (let v = stream.next(); v !== undefined; v = stream.next()) out.push(v.value)
      }
      expect(out).toEqual(values)
      expect(stream.bufferedBytes).toBe(0)
    }
  })

  it('refuses a value past the cap whether it arrives whole or in pieces, and malformed bytes either way', () => {
    const big = encode({ Data: 'x'.repeat(2000) })
    const whole = new StreamDecoder({ maxValueBytes: 1024 })
    whole.push(big)
    expect(() => whole.next()).toThrow(/more than 1024/)
    const pieces = new StreamDecoder({ maxValueBytes: 1024 })
    for (let i = 0; i < big.length; i += 100) pieces.push(big.subarray(i, i + 100))
    expect(() => pieces.next()).toThrow(/more than 1024/)
    for (const split of [false, true]) {
      const bad = new StreamDecoder()
      const bytes = Buffer.from([0x82, 0xa1, 0x41, 0xc1, 0x01])
      if (split) bad.push(bytes.subarray(0, 2))
      bad.push(split ? bytes.subarray(2) : bytes)
      expect(() => bad.next()).toThrow(expect.objectContaining({ code: 'MSGPACK_MALFORMED' }))
    }
  })

  it('refuses a value that would grow past the cap', () => {
    const stream = new StreamDecoder({ maxValueBytes: 1024 })
    stream.push(Buffer.from('db00100000', 'hex'))
    expect(() => stream.next()).toThrow(/more than 1024/)
  })

  it("reads a value with its own options over the decoder's, value by value", () => {
    const stream = new StreamDecoder({ bytesKeys: new Set(['Data']), maxDepth: 2 })
    const value = { Data: 'ab', Name: 'n' }
    stream.push(Buffer.concat([encode(value), encode(value), encode(value), encode([[[1]]])]))
    expect(stream.next({ maxDepth: 4 })?.value).toEqual({ Data: Buffer.from('ab'), Name: 'n' })
    expect(stream.next({ raw: 'bytes' })?.value).toEqual({ Data: Buffer.from('ab'), Name: Buffer.from('n') })
    expect(stream.next({ bytesKeys: new Set(['Name']) })?.value).toEqual({ Data: 'ab', Name: Buffer.from('n') })
    // The decoder's own depth limit applies where the value's options do not say otherwise.
    expect(() => stream.next({ raw: 'string' })).toThrow(/deeper than 2/)
  })

  it('hands out raw bytes that follow a value', () => {
    const stream = new StreamDecoder()
    stream.push(Buffer.concat([encode({ Size: 3 }), Buffer.from('abcde')]))
    expect(stream.next()?.value).toEqual({ Size: 3 })
    expect(stream.take(3).toString()).toBe('abc')
    expect(stream.bufferedBytes).toBe(2)
  })
})

describe('MsgpackWriter', () => {
  it('writes piece by piece exactly what encode writes for the same value', async () => {
    const { MsgpackWriter } = await import('../src/index.js')
    const w = new MsgpackWriter(4)
    w.mapHeader(4)
    w.string('Term')
    w.int(2 ** 40)
    w.string('Data')
    w.bytes(Buffer.from([1, 2, 3]))
    w.string('Ok')
    w.bool(true)
    w.string('Entries')
    w.arrayHeader(2)
    w.nil()
    w.value({ Index: -5 })
    const expected = encode({ Term: 2 ** 40, Data: Buffer.from([1, 2, 3]), Ok: true, Entries: [null, { Index: -5 }] })
    expect(hex(w.finish())).toBe(hex(expected))
  })
})

describe('StreamDecoder limits and bytes between values', () => {
  it('refuses a container declaring too many entries or nesting too deep as soon as the header arrives', () => {
    const many = new StreamDecoder({ maxItems: 10 })
    many.push(Buffer.from('dc0100', 'hex')) // array of 256, nothing more yet
    expect(() => many.next()).toThrow(/256 entries/)
    const deep = new StreamDecoder({ maxDepth: 3 })
    deep.push(Buffer.alloc(5, 0x91))
    expect(() => deep.next()).toThrow(/deeper than 3/)
  })

  it('serves single bytes between values, as Raft puts a type byte before each request', () => {
    const stream = new StreamDecoder()
    stream.push(Buffer.concat([Buffer.from([0x01]), encode({ Term: 1 }), Buffer.from([0x03])]))
    expect(stream.readByte()).toBe(1)
    expect(stream.next()?.value).toEqual({ Term: 1 })
    expect(stream.readByte()).toBe(3)
    expect(stream.readByte()).toBeUndefined()
  })

  it('refuses bytes that start no value', () => {
    const stream = new StreamDecoder()
    stream.push(Buffer.from([0xc1]))
    expect(() => stream.next()).toThrow(MsgpackError)
  })
})
