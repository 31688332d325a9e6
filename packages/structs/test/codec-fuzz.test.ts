import fc from 'fast-check'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CodecError, GoTime, decodeMessage, encodeMessage, marshalGoTime, unmarshalGoTime } from '../src/index.js'

const vectors: { name: string; hex: string }[] = JSON.parse(readFileSync(new URL('./golden/vectors.json', import.meta.url), 'utf8'))
const seeds = vectors.map((v) => Buffer.from(v.hex, 'hex'))

/** Decoding either succeeds or throws a CodecError, never anything else. */
function decodesOrFailsWithCodecError(bytes: Uint8Array): void {
  try {
    decodeMessage(bytes)
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError)
  }
}

describe('decoder robustness (fast-check, fixed seed)', () => {
  it('random bytes decode or fail with CodecError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), decodesOrFailsWithCodecError),
      { seed: 7, numRuns: 3000 },
    )
  })

  it('golden vectors with bytes flipped decode or fail with CodecError', () => {
    fc.assert(
      fc.property(fc.nat(seeds.length - 1), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (which, flips) => {
        const bytes = Buffer.from(seeds[which]!)
        for (const [at, value] of flips) bytes[1 + (at % (bytes.length - 1))] = value
        decodesOrFailsWithCodecError(bytes)
      }),
      { seed: 11, numRuns: 2000 },
    )
  })
})

describe('Go binary time', () => {
  it('round-trips any instant with nanoseconds and offset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -62135596800, max: 253402300799 }),
        fc.integer({ min: 0, max: 999_999_999 }),
        fc.oneof(fc.constant(-1), fc.integer({ min: -720, max: 840 })),
        (secs, nanos, offset) => {
          const t = new GoTime(secs * 1000 + Math.floor(nanos / 1e6), nanos, offset)
          const back = unmarshalGoTime(marshalGoTime(t))
          expect(back.getTime()).toBe(t.getTime())
          expect(back.nanosecond).toBe(nanos)
          expect(back.offsetMinutes).toBe(offset)
        },
      ),
      { seed: 3, numRuns: 500 },
    )
  })
  it('writes a plain Date in UTC with its milliseconds', () => {
    const hex = marshalGoTime(new Date(Date.UTC(2020, 6, 8, 12, 30, 45, 123))).toString('hex')
    // version 1, seconds since year 1, 123,000,000 ns, offset -1 (UTC)
    expect(hex).toBe('01' + (63729808245n).toString(16).padStart(16, '0') + (123_000_000).toString(16).padStart(8, '0') + 'ffff')
  })
  it('encodes and decodes messages with arbitrary strings and integers', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer(), fc.boolean(), (s, n, b) => {
        const msg = decodeMessage(encodeMessage(9, { Name: s, Count: n, Stop: b }))
        expect(msg.body).toEqual({ Name: s, Count: n, Stop: b })
      }),
      { seed: 5, numRuns: 500 },
    )
  })
})
