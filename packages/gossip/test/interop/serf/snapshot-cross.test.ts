import { readFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { haveGo, buildGo, get, kill, killAll, post, startNode, waitUntil, type MemberJson, type RunningNode } from '../procs.js'

// The snapshot file is a format both implementations read: an agent that left gracefully and
// comes back as the other implementation, with no -join, finds the cluster again from the file
// the first one wrote (both run with RejoinAfterLeave, as Nomad does, so the `leave` line the
// first one wrote is skipped).
const key = Buffer.alloc(32, 0x33).toString('base64')
const dir = mkdtempSync(join(tmpdir(), 'gossip-serf-snapcross-'))

beforeAll(() => { if (haveGo()) buildGo('gonode') }, 180_000)
afterAll(() => {
  killAll()
  rmSync(dir, { recursive: true, force: true })
})

const aliveNames = async (n: RunningNode): Promise<string[]> =>
  (await get<MemberJson[]>(n, '/members')).filter((m) => m.status === 'alive').map((m) => m.name).sort()

describe.skipIf(!haveGo())('snapshot files across implementations', () => {
  for (const [first, second] of [['ts', 'go'], ['go', 'ts']] as const) {
    it(`a ${first} agent's snapshot brings back a ${second} agent in its place`, async () => {
      const seedName = `seed-${first}`
      const name = `${first}-then-${second}`
      const snapshot = join(dir, `${name}.snap`)
      const seed = await startNode('go', { layer: 'serf', name: seedName, key })
      const a = await startNode(first, { layer: 'serf', name, key, join: [seed.gossip], snapshot })
      await waitUntil(`${name} and ${seedName} to see each other`, async () =>
        (await aliveNames(a)).join() === [name, seedName].sort().join() && (await aliveNames(seed)).includes(name), 20_000)
      const exited = new Promise((resolve) => a.proc.once('exit', resolve))
      expect(await post(a, '/leave')).toBe(200)
      await exited
      const text = readFileSync(snapshot, 'utf8')
      // The writer's own words: the seed alive at its address, then the leave.
      expect(text).toContain(`alive: ${seedName} ${seed.gossip}\n`)
      expect(text.indexOf('\nleave\n'), text).toBeGreaterThan(text.indexOf(`alive: ${seedName}`))
      // Same name, address and file; no -join: only the snapshot can lead it back to the seed.
      const b = await startNode(second, { layer: 'serf', name, key, snapshot, bind: a.gossip })
      await waitUntil(`${name} (now ${second}) to rejoin ${seedName} from the snapshot`, async () =>
        (await aliveNames(b)).includes(seedName) && (await aliveNames(seed)).includes(name), 30_000)
      expect(await aliveNames(b)).toEqual([name, seedName].sort())
      kill(b)
      kill(seed)
    }, 90_000)
  }
})
