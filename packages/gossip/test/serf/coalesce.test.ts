import { SimClock } from '@nomadic/runtime'
import { describe, expect, it } from 'vitest'
import { CoalesceStage, MemberEventCoalescer, UserEventCoalescer } from '../../src/serf/coalesce.js'
import type { Member, MemberStatus, SerfEvent } from '../../src/serf/serf.js'

const member = (name: string, status: MemberStatus = 'alive', tags: Record<string, string> = {}): Member => ({
  name, addr: '10.0.0.1', port: 7946, tags, status, protocolMin: 1, protocolMax: 5, protocolCur: 2, delegateMin: 2, delegateMax: 5, delegateCur: 4,
})
const user = (name: string, ltime: number, payload: string, coalesce = true): SerfEvent => ({ type: 'user', ltime, name, payload: Buffer.from(payload), coalesce })
const summary = (e: SerfEvent): string => {
  if (e.type === 'user') return `user:${e.name}@${e.ltime}:${e.payload.toString()}`
  if (e.type === 'query') return `query:${e.query.name}`
  return `${e.type}:${e.members.map((m) => m.name).join(',')}`
}

function memberStage(clock: SimClock, out: SerfEvent[]): CoalesceStage {
  return new CoalesceStage(new MemberEventCoalescer(), clock, 1_000, 200, (e) => out.push(e))
}

describe('member event coalescing', () => {
  it('keeps the latest event per member and groups them by type when the window closes', () => {
    const clock = new SimClock(0)
    const out: SerfEvent[] = []
    const stage = memberStage(clock, out)
    stage.push({ type: 'member-join', members: [member('a')] })
    stage.push({ type: 'member-join', members: [member('b')] })
    clock.advance(100)
    stage.push({ type: 'member-failed', members: [member('a', 'failed')] })
    stage.push({ type: 'member-join', members: [member('c')] })
    expect(out).toEqual([])
    clock.advance(199)
    expect(out).toEqual([])
    clock.advance(1) // 200 ms without a new event: the quiet period flushes
    expect(out.map(summary).sort()).toEqual(['member-failed:a', 'member-join:b,c'])
  })

  it('flushes at the end of the window even while events keep coming', () => {
    const clock = new SimClock(0)
    const out: SerfEvent[] = []
    const stage = memberStage(clock, out)
    for (let t = 0; t < 1_000; t += 150) {
      stage.push({ type: 'member-join', members: [member(`n${t}`)] })
      clock.advance(150)
      if (t + 150 < 1_000) expect(out, `at ${t + 150} ms`).toEqual([])
    }
    expect(out.length).toBe(1)
    expect(out[0]!.type).toBe('member-join')
  })

  it('drops a repeat of the last delivered event for a member, but never an update', () => {
    const clock = new SimClock(0)
    const out: SerfEvent[] = []
    const stage = memberStage(clock, out)
    stage.push({ type: 'member-join', members: [member('a')] })
    stage.push({ type: 'member-update', members: [member('b', 'alive', { v: '1' })] })
    clock.advance(1_000)
    stage.push({ type: 'member-failed', members: [member('a', 'failed')] })
    stage.push({ type: 'member-join', members: [member('a')] }) // flapped back within the window
    stage.push({ type: 'member-update', members: [member('b', 'alive', { v: '2' })] })
    clock.advance(1_000)
    expect(out.map(summary)).toEqual(['member-join:a', 'member-update:b', 'member-update:b'])
    const last = out[2] as Extract<SerfEvent, { members: Member[] }>
    expect(last.members[0]!.tags).toEqual({ v: '2' })
  })

  it('passes user events and queries straight through, and flushes on stop', () => {
    const clock = new SimClock(0)
    const out: SerfEvent[] = []
    const stage = memberStage(clock, out)
    stage.push({ type: 'member-leave', members: [member('a', 'left')] })
    stage.push(user('deploy', 3, 'x'))
    expect(out.map(summary)).toEqual(['user:deploy@3:x'])
    stage.stop()
    expect(out.map(summary)).toEqual(['user:deploy@3:x', 'member-leave:a'])
    expect(clock.pending()).toBe(0)
    stage.push({ type: 'member-join', members: [member('z')] })
    expect(out.map(summary).at(-1)).toBe('member-join:z')
  })
})

describe('user event coalescing', () => {
  it('keeps only the newest Lamport time per name (all events of that time)', () => {
    const clock = new SimClock(0)
    const out: SerfEvent[] = []
    const stage = new CoalesceStage(new UserEventCoalescer(), clock, 1_000, 500, (e) => out.push(e))
    stage.push(user('deploy', 5, 'old'))
    stage.push(user('deploy', 7, 'new-1'))
    stage.push(user('deploy', 6, 'between'))
    stage.push(user('deploy', 7, 'new-2'))
    stage.push(user('restart', 2, 'r'))
    stage.push(user('audit', 1, 'never-coalesced', false))
    expect(out.map(summary)).toEqual(['user:audit@1:never-coalesced'])
    clock.advance(500)
    expect(out.map(summary)).toEqual(['user:audit@1:never-coalesced', 'user:deploy@7:new-1', 'user:deploy@7:new-2', 'user:restart@2:r'])
    // A new window starts empty.
    stage.push(user('deploy', 3, 'late'))
    clock.advance(1_000)
    expect(out.map(summary).at(-1)).toBe('user:deploy@3:late')
  })

  it('member events pass a user stage untouched', () => {
    const clock = new SimClock(0)
    const out: SerfEvent[] = []
    const stage = new CoalesceStage(new UserEventCoalescer(), clock, 1_000, 500, (e) => out.push(e))
    stage.push({ type: 'member-join', members: [member('a')] })
    expect(out.map(summary)).toEqual(['member-join:a'])
    expect(clock.pending()).toBe(0)
  })
})
