import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { formatFailure, runSeed, scenarios, SimCluster } from '../src/testing/index.js'
import { encodeKVCommand } from '../src/testing/kv.js'

const SEEDS = 200

describe('deterministic simulation', () => {
  it(`keeps every invariant on ${SEEDS} seeds across all scenarios`, async () => {
    const failures: string[] = []
    const seen = new Set<string>()
    for (let seed = 1; seed <= SEEDS; seed++) {
      const result = await runSeed(seed)
      seen.add(result.scenario)
      if (!result.ok) failures.push(formatFailure(result))
    }
    expect(failures).toEqual([])
    expect([...seen].sort()).toEqual(scenarios.map((s) => s.name).sort())
  }, 240_000)

  it('replays a seed exactly', async () => {
    const a = await runSeed(12)
    const b = await runSeed(12)
    expect(a.ok).toBe(true)
    expect(b).toEqual(a)
    expect(a.operations).toBeGreaterThan(0)
  })

  it('notices a committed entry that changed on one server', async () => {
    const c = new SimCluster(3)
    await c.bootstrap(['n1', 'n2', 'n3'])
    expect(await c.runUntil(() => c.leader() !== undefined, 10_000)).toBe(true)
    const leader = c.leader()!
    const outcome = await c.await(leader.raft!.apply(encodeKVCommand({ op: 'put', key: 'k', value: 'v', id: 'x' })), 2000)
    const index = outcome!.value!.index
    await c.run(500)
    const follower = c.live().find((n) => n !== leader)!
    await c.crash(follower.id)
    const entry = follower.store.peek(index)!
    await follower.store.storeLog({ ...entry, Data: Buffer.from('tampered') })
    const restartAndRun = async (): Promise<void> => {
      await c.restart(follower.id)
      await c.run(2000)
    }
    await expect(restartAndRun()).rejects.toThrow(/committed logs identical where they overlap|state machines apply the same sequence/)
    await c.stop()
  })

  it('formats a failing seed with the command that replays it', () => {
    const line = formatFailure({ seed: 42, scenario: 'chaos', ok: false, invariant: 'liveness', message: 'liveness: no leader', steps: 1, operations: 0 })
    expect(line).toBe('FAIL seed 42 [chaos] liveness: no leader — replay: npm run sim -w @nomadic/raft -- --seeds 1 --from 42')
  })

  it('runs from the command line and ends with the pass/fail line', () => {
    const cli = fileURLToPath(new URL('../src/testing/cli.ts', import.meta.url))
    const run = spawnSync(process.execPath, ['--import', 'tsx', cli, '--seeds', '3', '--from', '5'], { encoding: 'utf8', timeout: 60_000 })
    expect(run.stdout.trim().split('\n').at(-1)).toBe('3 passed, 0 failed')
    expect(run.status).toBe(0)
    const bad = spawnSync(process.execPath, ['--import', 'tsx', cli, '--seeds', 'x'], { encoding: 'utf8', timeout: 60_000 })
    expect(bad.status).toBe(2)
  }, 60_000)
})
