import { describe, expect, it } from 'vitest'
import { decodeConfiguration, decodePeers, encodeConfiguration, encodePeers } from '../src/configuration-codec.js'
import { DecodeError } from '../src/errors.js'
import { ServerSuffrage } from '../src/types.js'

const hex = (s: string): string => Buffer.from(s).toString('hex')

describe('configuration codec', () => {
  it('writes the bytes go-msgpack 0.5.5 writes (sorted keys, raw strings)', () => {
    const bytes = encodeConfiguration({ Servers: [{ Suffrage: ServerSuffrage.Voter, ID: 'id1', Address: '10.0.0.1:4647' }] })
    const expected = '81' + 'a7' + hex('Servers') + '91' + '83' + 'a7' + hex('Address') + 'ad' + hex('10.0.0.1:4647') +
      'a2' + hex('ID') + 'a3' + hex('id1') + 'a8' + hex('Suffrage') + '00'
    expect(bytes.toString('hex')).toBe(expected)
  })

  it('round-trips every suffrage and an empty configuration', () => {
    const conf = {
      Servers: [
        { Suffrage: ServerSuffrage.Voter, ID: 'a', Address: 'x:1' },
        { Suffrage: ServerSuffrage.Nonvoter, ID: 'b', Address: 'y:2' },
        { Suffrage: ServerSuffrage.Staging, ID: 'c', Address: 'z:3' },
      ],
    }
    expect(decodeConfiguration(encodeConfiguration(conf))).toEqual(conf)
    expect(encodeConfiguration({ Servers: [] }).toString('hex')).toBe('81a7' + hex('Servers') + 'c0')
    expect(decodeConfiguration(encodeConfiguration({ Servers: [] }))).toEqual({ Servers: [] })
  })

  it('rejects garbage with a DecodeError', () => {
    expect(() => decodeConfiguration(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]))).toThrow(DecodeError)
    expect(() => decodeConfiguration(Buffer.from([0x05]))).toThrow(DecodeError)
  })

  it('encodes legacy peers as an array of voter addresses', () => {
    const codec = { encodePeer: (_id: string, a: string) => Buffer.from(a), decodePeer: (b: Buffer) => b.toString() }
    const conf = {
      Servers: [
        { Suffrage: ServerSuffrage.Voter, ID: 'a', Address: '10.0.0.1:4647' },
        { Suffrage: ServerSuffrage.Nonvoter, ID: 'b', Address: 'y:2' },
      ],
    }
    const bytes = encodePeers(conf, codec)
    expect(bytes.toString('hex')).toBe('91ad' + hex('10.0.0.1:4647'))
    expect(decodePeers(bytes, codec)).toEqual({ Servers: [{ Suffrage: 0, ID: '10.0.0.1:4647', Address: '10.0.0.1:4647' }] })
  })
})
