import { describe, expect, it } from 'vitest'
import { ConfigError } from '../src/errors.js'
import { DEFAULTS, resolveOptions } from '../src/options.js'

describe('options', () => {
  it("applies hashicorp/raft 1.1.2's defaults", () => {
    const o = resolveOptions({ localID: 'a' })
    expect(o).toMatchObject({
      protocolVersion: 3, heartbeatTimeout: 1000, electionTimeout: 1000, commitTimeout: 50, maxAppendEntries: 64,
      trailingLogs: 10240, snapshotInterval: 120_000, snapshotThreshold: 8192, leaderLeaseTimeout: 500, preVote: false,
      shutdownOnRemove: true,
    })
    expect(DEFAULTS.leaderLeaseTimeout).toBe(500)
  })

  it.each([
    [{ localID: '' }, 'localID'],
    [{ localID: 'a', protocolVersion: 4 }, 'protocolVersion'],
    [{ localID: 'a', heartbeatTimeout: 4 }, 'heartbeatTimeout'],
    [{ localID: 'a', electionTimeout: 2, heartbeatTimeout: 5, leaderLeaseTimeout: 5 }, 'electionTimeout'],
    [{ localID: 'a', commitTimeout: 0 }, 'commitTimeout'],
    [{ localID: 'a', maxAppendEntries: 1025 }, 'maxAppendEntries'],
    [{ localID: 'a', snapshotInterval: 1 }, 'snapshotInterval'],
    [{ localID: 'a', leaderLeaseTimeout: 2000 }, 'leaderLeaseTimeout'],
    [{ localID: 'a', electionTimeout: 500 }, 'electionTimeout'],
  ])('rejects %o naming %s', (options, field) => {
    let error: unknown
    try {
      resolveOptions(options)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).field).toBe(field)
    expect((error as ConfigError).code).toBe('RAFT_INVALID_CONFIG')
    expect((error as ConfigError).message).toContain(field)
  })
})
