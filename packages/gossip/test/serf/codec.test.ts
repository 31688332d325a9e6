import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { samples } from './samples.js'

const golden = JSON.parse(readFileSync(new URL('./golden.json', import.meta.url), 'utf8')) as Record<string, string>

describe('serf codec against go-msgpack golden vectors (serf 0.9.4)', () => {
  const ours = samples()
  it('covers every golden vector', () => {
    expect(Object.keys(ours).sort()).toEqual(Object.keys(golden).sort())
  })
  for (const name of Object.keys(golden)) {
    it(`encodes ${name} byte for byte as Go does`, () => {
      expect(ours[name]!.toString('hex')).toBe(golden[name])
    })
  }
})
