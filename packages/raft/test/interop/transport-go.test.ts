/**
 * The TypeScript NetworkTransport against hashicorp/raft 1.1.2's, both directions: every RPC
 * type, the heartbeat fast path, InstallSnapshot streaming and a 200-deep pipeline.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTcpTransport } from '../../src/transport/tcp.js'
import type { NetworkTransport } from '../../src/transport/net.js'
import type { RPC } from '../../src/types.js'
import { buildGo, haveGo, spawnJsonLines, type JsonLinesProcess } from './go.js'

const b64 = (s: string): string => Buffer.from(s).toString('base64')

function snapshotData(size: number): Buffer {
  const b = Buffer.alloc(size)
  for (let i = 0; i < size; i++) b[i] = (i * 31 + 7) & 0xff
  return b
}

describe.skipIf(!haveGo())('NetworkTransport against hashicorp/raft 1.1.2', () => {
  let bin: string
  const procs: JsonLinesProcess[] = []
  const transports: NetworkTransport[] = []

  beforeAll(() => {
    bin = buildGo('transport-go')
  })
  afterAll(async () => {
    for (const p of procs) await p.kill()
    for (const t of transports) await t.close()
  })

  it('the committed golden vectors are what Go writes today', () => {
    const fresh = JSON.parse(execFileSync(buildGo('golden')).toString()) as unknown
    const committed = JSON.parse(readFileSync(new URL('../transport/golden.json', import.meta.url), 'utf8')) as unknown
    expect(fresh).toEqual(committed)
  })

  it('TypeScript client → Go server: requests arrive intact, responses come back', async () => {
    const go = spawnJsonLines(bin, ['-bind', '127.0.0.1:0', 'serve'])
    procs.push(go)
    const { listening } = (await go.waitFor((l) => (l as { listening?: string }).listening !== undefined)) as { listening: string }
    const client = await createTcpTransport('127.0.0.1:0')
    transports.push(client)
    const leader = client.encodePeer('ts', client.localAddr())

    const resp = await client.appendEntries('go', listening, {
      ProtocolVersion: 3, Term: 4, Leader: leader, PrevLogEntry: 10, PrevLogTerm: 3, LeaderCommitIndex: 9,
      Entries: [
        { Index: 11, Term: 4, Type: 0, Data: Buffer.from('hello'), Extensions: Buffer.alloc(0) },
        { Index: 12, Term: 4, Type: 1, Data: Buffer.alloc(0), Extensions: Buffer.from('x') },
      ],
    })
    expect(resp).toEqual({ ProtocolVersion: 3, Term: 4, LastLog: 12, Success: true, NoRetryBackoff: false })
    expect(await go.waitFor((l) => (l as { type: string }).type === 'AppendEntries')).toEqual({
      type: 'AppendEntries',
      cmd: {
        ProtocolVersion: 3, Term: 4, Leader: leader.toString('base64'), PrevLogEntry: 10, PrevLogTerm: 3, LeaderCommitIndex: 9,
        Entries: [
          { Index: 11, Term: 4, Type: 0, Data: b64('hello'), Extensions: null },
          { Index: 12, Term: 4, Type: 1, Data: null, Extensions: b64('x') },
        ],
      },
    })

    // A heartbeat takes Go's fast path.
    await client.appendEntries('go', listening, { ProtocolVersion: 3, Term: 4, Leader: leader, PrevLogEntry: 0, PrevLogTerm: 0, LeaderCommitIndex: 0, Entries: [] })
    await go.waitFor((l) => (l as { type: string }).type === 'Heartbeat')

    await expect(client.requestVote('go', listening, {
      ProtocolVersion: 3, Term: 5, Candidate: leader, LastLogIndex: 12, LastLogTerm: 4, LeadershipTransfer: true,
    })).rejects.toMatchObject({ code: 'RAFT_REMOTE', message: 'unsupported protocol' })
    expect(await go.waitFor((l) => (l as { type: string }).type === 'RequestVote')).toMatchObject({ cmd: { LeadershipTransfer: true, Term: 5 } })
    expect(await client.timeoutNow('go', listening, { ProtocolVersion: 3 })).toEqual({ ProtocolVersion: 3 })

    const size = (1 << 20) + 3
    const data = snapshotData(size)
    const snap = await client.installSnapshot('go', listening, {
      ProtocolVersion: 3, SnapshotVersion: 1, Term: 5, Leader: leader, LastLogIndex: 500, LastLogTerm: 5,
      Peers: Buffer.alloc(0), Configuration: Buffer.alloc(0), ConfigurationIndex: 1, Size: size,
    }, Readable.from([data.subarray(0, 1000), data.subarray(1000)]))
    expect(snap).toEqual({ ProtocolVersion: 0, Term: size, Success: true })
    expect(await go.waitFor((l) => (l as { type: string }).type === 'InstallSnapshot')).toMatchObject({ received: size, intact: true })

    const pipe = await client.appendEntriesPipeline('go', listening)
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => pipe.appendEntries({
      ProtocolVersion: 3, Term: 6, Leader: leader, PrevLogEntry: i, PrevLogTerm: 6, LeaderCommitIndex: i,
      Entries: [{ Index: i + 1, Term: 6, Type: 0, Data: Buffer.alloc(128, i), Extensions: Buffer.alloc(0) }],
    })))
    expect(results.map((r) => r.LastLog)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
    await pipe.close()
  })

  it('Go client → TypeScript server: every RPC type, the snapshot data and the pipeline', async () => {
    const server = await createTcpTransport('127.0.0.1:0')
    transports.push(server)
    const seen: RPC[] = []
    const beats: RPC[] = []
    let snapshot: Buffer | undefined
    server.setHeartbeatHandler((rpc) => {
      beats.push(rpc)
      if (rpc.type === 0) rpc.respond({ ProtocolVersion: 3, Term: 4, LastLog: 0, Success: true, NoRetryBackoff: false })
    })
    server.setConsumer((rpc) => {
      seen.push(rpc)
      switch (rpc.type) {
        case 0:
          rpc.respond({ ProtocolVersion: 3, Term: rpc.command.Term, LastLog: rpc.command.Entries.at(-1)?.Index ?? 0, Success: true, NoRetryBackoff: false })
          return
        case 1:
          rpc.respond({ ProtocolVersion: 3, Term: 5, Peers: Buffer.alloc(0), Granted: true })
          return
        case 2: {
          const parts: Buffer[] = []
          rpc.reader!.on('data', (c: Buffer) => parts.push(c))
          rpc.reader!.on('end', () => {
            snapshot = Buffer.concat(parts)
            rpc.respond({ ProtocolVersion: 3, Term: 5, Success: snapshot.equals(snapshotData(rpc.command.Size)) })
          })
          return
        }
        case 3:
          rpc.respond(undefined, new Error('leadership transfer refused'))
          return
        default:
          rpc.respond(undefined, new Error('unexpected command'))
      }
    })
    const go = spawnJsonLines(bin, ['-bind', '127.0.0.1:0', '-target', server.localAddr(), 'call'])
    procs.push(go)
    expect(await go.exited).toBe(0)
    const byRpc = Object.fromEntries(go.lines.map((l) => [(l as { rpc: string }).rpc, l]))
    expect(byRpc.AppendEntries).toEqual({ rpc: 'AppendEntries', err: '', resp: { ProtocolVersion: 3, Term: 4, LastLog: 12, Success: true, NoRetryBackoff: false } })
    expect(byRpc.Heartbeat).toMatchObject({ err: '', resp: { Success: true } })
    expect(byRpc.RequestVote).toEqual({ rpc: 'RequestVote', err: '', resp: { ProtocolVersion: 3, Term: 5, Peers: null, Granted: true } })
    expect(byRpc.TimeoutNow).toMatchObject({ err: 'leadership transfer refused' })
    expect(byRpc.InstallSnapshot).toMatchObject({ err: '', resp: { Success: true, Term: 5 } })
    expect(byRpc.Pipeline).toEqual({ rpc: 'Pipeline', count: 200, inOrder: true })
    expect(beats.length).toBe(1)
    expect(snapshot!.length).toBe((1 << 20) + 3)
    const first = seen[0]!
    expect(first.type).toBe(0)
    if (first.type === 0) {
      expect(first.command.Entries.map((e) => [e.Index, e.Type, e.Data.toString()])).toEqual([[11, 0, 'hello'], [12, 1, '']])
      expect(first.command.LeaderCommitIndex).toBe(9)
    }
    expect(seen.filter((r) => r.type === 0).length).toBe(201)
  })
})
