import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  INVALID_ROLE_OR_REGION,
  InvalidRoleOrRegionError,
  certificateNames,
  dnsNamesOf,
  rpcNameAndRegionValidator,
  validateRpcRegionPeer,
} from '../src/index.js'

describe('validateRpcRegionPeer', () => {
  it.each([
    ['client.global.nomad', 'global', true],
    ['client.east.nomad', 'global', false],
    ['client.global.nomad.extra', 'global', false],
    ['client.global.global.nomad', 'global', false],
    ['server.global.nomad', 'global', true],
    ['server.east.nomad', 'global', true],
    ['server.a.b.nomad', 'global', true],
    ['server.nomad', 'global', false],
    ['client.nomad', 'global', false],
    ['server.global.consul', 'global', false],
    ['server.global.nomad.', 'global', false],
    ['cli.global.nomad', 'global', false],
    ['localhost', 'global', false],
    ['', 'global', false],
    ['nomad.global.server', 'global', false],
  ])('%s in region %s → %s', (name, region, expected) => {
    expect(validateRpcRegionPeer(name, region)).toBe(expected)
  })
})

describe('rpcNameAndRegionValidator', () => {
  const check = rpcNameAndRegionValidator('global')

  it('accepts when any DNS SAN passes', () => {
    expect(() => check({ subjectaltname: 'DNS:localhost, DNS:client.global.nomad, IP Address:127.0.0.1', subject: { CN: 'x' } as never })).not.toThrow()
  })

  it('falls back to the CN when no SAN passes', () => {
    expect(() => check({ subjectaltname: 'DNS:localhost', subject: { CN: 'server.west.nomad' } as never })).not.toThrow()
    expect(() => check({ subjectaltname: undefined as never, subject: { CN: 'client.global.nomad' } as never })).not.toThrow()
  })

  it("throws Nomad's message when nothing passes", () => {
    let caught: unknown
    try {
      check({ subjectaltname: 'DNS:client.east.nomad, DNS:localhost', subject: { CN: 'client.east.nomad' } as never })
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(InvalidRoleOrRegionError)
    expect((caught as Error).message).toBe('invalid role or region for certificate')
    expect((caught as Error).message).toBe(INVALID_ROLE_OR_REGION)
    expect((caught as InvalidRoleOrRegionError).code).toBe('ERR_TLS_INVALID_ROLE_OR_REGION')
    expect((caught as InvalidRoleOrRegionError).names).toEqual(['client.east.nomad', 'localhost', 'client.east.nomad'])
  })

  it('refuses an empty certificate', () => {
    expect(() => check({} as never)).toThrow(INVALID_ROLE_OR_REGION)
  })

  it('does not treat an IP or URI SAN as a name', () => {
    expect(() => check({ subjectaltname: 'URI:server.global.nomad, IP Address:127.0.0.1', subject: {} as never })).toThrow(INVALID_ROLE_OR_REGION)
  })
})

describe('certificateNames', () => {
  it('lists DNS SANs first, then the last CN', () => {
    expect(certificateNames({ subjectaltname: 'DNS:a.b.nomad, IP Address:::1, DNS:c', subject: { CN: ['x', 'y'] } as never })).toEqual(['a.b.nomad', 'c', 'y'])
  })

  it('decodes values Node quotes as JSON', () => {
    expect(dnsNamesOf('DNS:"evil, DNS:server.x.nomad", DNS:ok.global.nomad')).toEqual(['evil, DNS:server.x.nomad', 'ok.global.nomad'])
  })

  it('stops at an unterminated or invalid quoted value', () => {
    expect(dnsNamesOf('DNS:a, DNS:"broken')).toEqual(['a'])
    expect(dnsNamesOf('DNS:a, DNS:"\\x", DNS:server.global.nomad')).toEqual(['a'])
  })
})

// Fixed seeds keep the run deterministic; fast-check prints the counterexample and seed on failure.
describe('properties', () => {
  const label = fc.stringMatching(/^[a-z0-9-]{1,8}$/)

  it('a client name passes only for its own region, a server name for any', () => {
    fc.assert(
      fc.property(label, label, (region, other) => {
        expect(validateRpcRegionPeer(`client.${region}.nomad`, region)).toBe(true)
        expect(validateRpcRegionPeer(`client.${region}.nomad`, other)).toBe(region === other)
        expect(validateRpcRegionPeer(`server.${region}.nomad`, other)).toBe(true)
        expect(validateRpcRegionPeer(`server.${region}.nomad.x`, other)).toBe(false)
        expect(validateRpcRegionPeer(`${region}.nomad`, other)).toBe(false)
      }),
      { seed: 7023 },
    )
  })

  it('names round-trip through the subjectaltname format, quoted or not', () => {
    const unquoted = fc.stringMatching(/^[a-z0-9.*-]{1,20}$/)
    const quoted = fc.string({ minLength: 1, maxLength: 20 }).map((value) => ({ value, text: JSON.stringify(value) }))
    const entry = fc.oneof(
      unquoted.map((value) => ({ kind: 'DNS', value, text: value })),
      quoted.map(({ value, text }) => ({ kind: 'DNS', value, text })),
      fc.constantFrom('IP Address:10.0.0.1', 'IP Address:::1', 'URI:spiffe://x/y', 'email:a@b').map((text) => ({ kind: 'other', value: '', text })),
    )
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 6 }), (entries) => {
        const formatted = entries.map((e) => (e.kind === 'DNS' ? `DNS:${e.text}` : e.text)).join(', ')
        expect(dnsNamesOf(formatted)).toEqual(entries.filter((e) => e.kind === 'DNS').map((e) => e.value))
      }),
      { seed: 7956, numRuns: 500 },
    )
  })

  it('any subjectaltname text gives names or a refusal, never a crash', () => {
    const piece = fc.constantFrom('DNS:', '"', '\\', '\\u12', '\\x', ', ', ':', 'server.global.nomad', 'IP Address:', 'a')
    const sanText = fc.oneof(fc.string({ maxLength: 80 }), fc.array(piece, { maxLength: 12 }).map((parts) => parts.join('')))
    const check = rpcNameAndRegionValidator('global')
    fc.assert(
      fc.property(sanText, fc.string({ maxLength: 30 }), (subjectaltname, cn) => {
        try {
          check({ subjectaltname, subject: { CN: cn } as never })
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidRoleOrRegionError)
        }
      }),
      { seed: 11089, numRuns: 3000 },
    )
  })
})
