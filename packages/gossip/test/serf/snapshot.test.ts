import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryLogger } from '@nomadic/runtime'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MIN_COMPACT_SIZE, Snapshotter } from '../../src/serf/snapshot.js'

let dir: string
let path: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'serf-snap-'))
  path = join(dir, 'serf.snapshot')
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

// Lines as Go serf 0.9.4's snapshotter writes them (snapshot.go).
const goFile = [
  'alive: node-a 10.0.0.1:7946',
  'alive: node with spaces 10.0.0.2:7946',
  'alive: node-c [::1]:7946',
  'clock: 12',
  'event-clock: 4',
  'query-clock: 9',
  'not-alive: node-a',
  'coordinate: {"Vec":[0,0]}',
  '# a comment',
  'alive: node-d 10.0.0.4:7946',
  'clock: 15',
  '',
].join('\n')

describe('snapshot file', () => {
  it('replays a file in Go serf format', () => {
    writeFileSync(path, goFile)
    const log = new MemoryLogger()
    const snap = new Snapshotter(path, log)
    const state = snap.replay(false)
    snap.close()
    expect(new Map(state.alive.map((a) => [a.name, a.addr]))).toEqual(new Map([
      ['node with spaces', '10.0.0.2:7946'], ['node-c', '[::1]:7946'], ['node-d', '10.0.0.4:7946'],
    ]))
    expect(state).toMatchObject({ clock: 15, eventClock: 4, queryClock: 9 })
    expect(log.entries.filter((e) => e.level === 'warn')).toEqual([])
  })

  it('a leave forgets what came before, unless rejoinAfterLeave', () => {
    writeFileSync(path, `${goFile}leave\nalive: node-e 10.0.0.5:7946\n`)
    const plain = new Snapshotter(path, new MemoryLogger())
    const s1 = plain.replay(false)
    plain.close()
    expect(s1).toEqual({ alive: [{ name: 'node-e', addr: '10.0.0.5:7946' }], clock: 0, eventClock: 0, queryClock: 0 })
    const rejoin = new Snapshotter(path, new MemoryLogger())
    const s2 = rejoin.replay(true)
    rejoin.close()
    expect(s2.alive.map((a) => a.name).sort()).toEqual(['node with spaces', 'node-c', 'node-d', 'node-e'])
    expect(s2.clock).toBe(15)
  })

  it('ignores a torn last line, bad clocks and unknown lines (with a warning), keeping the rest', () => {
    writeFileSync(path, 'alive: a 10.0.0.1:7946\nclock: x12\nevent-clock: -3\nquery-clock: 7\nbogus line\nalive: noaddr\nalive: b 10.0.0.2:79')
    const log = new MemoryLogger()
    const snap = new Snapshotter(path, log)
    const state = snap.replay(false)
    snap.close()
    expect(state).toEqual({ alive: [{ name: 'a', addr: '10.0.0.1:7946' }], clock: 0, eventClock: 0, queryClock: 7 })
    expect(log.entries.filter((e) => e.level === 'warn').length).toBe(4)
  })

  it('appends what serf records, and a leave stops recording', () => {
    const snap = new Snapshotter(path, new MemoryLogger())
    snap.replay(false)
    snap.alive('n1', '10.0.0.1:7946')
    snap.updateClock(6)
    snap.updateClock(6) // unchanged: nothing written
    snap.eventClock(3)
    snap.eventClock(2) // older: nothing written
    snap.queryClock(8)
    snap.notAlive('n1')
    snap.leave()
    snap.alive('n2', '10.0.0.2:7946')
    snap.close()
    expect(readFileSync(path, 'utf8')).toBe('alive: n1 10.0.0.1:7946\nclock: 5\nevent-clock: 3\nquery-clock: 8\nnot-alive: n1\nleave\n')
  })

  it('compacts to the alive nodes and the clocks once past the size threshold', () => {
    const snap = new Snapshotter(path, new MemoryLogger())
    snap.replay(false)
    let i = 0
    // Churn: nodes joining and failing, until the file has been compacted at least once.
    let compacted = false
    let last = 0
    while (!compacted) {
      snap.alive(`churn-${i}`, `10.1.${(i >> 8) & 255}.${i & 255}:7946`)
      snap.notAlive(`churn-${i}`)
      i++
      const size = statSync(path).size
      compacted = size < last
      last = size
    }
    expect(i).toBeGreaterThan(MIN_COMPACT_SIZE / 80)
    snap.alive('keeper', '10.9.9.9:7946')
    snap.updateClock(42)
    snap.close()
    const text = readFileSync(path, 'utf8')
    expect(text.length).toBeLessThan(200)
    expect(text).toMatch(/^clock: 0\nevent-clock: 0\nquery-clock: 0\n/)
    const again = new Snapshotter(path, new MemoryLogger())
    const state = again.replay(false)
    again.close()
    expect(state).toEqual({ alive: [{ name: 'keeper', addr: '10.9.9.9:7946' }], clock: 41, eventClock: 0, queryClock: 0 })
  })

  it('continues an existing file rather than truncating it', () => {
    writeFileSync(path, 'alive: a 10.0.0.1:7946\n')
    const snap = new Snapshotter(path, new MemoryLogger())
    snap.replay(false)
    snap.alive('b', '10.0.0.2:7946')
    snap.close()
    expect(readFileSync(path, 'utf8')).toBe('alive: a 10.0.0.1:7946\nalive: b 10.0.0.2:7946\n')
  })
})
