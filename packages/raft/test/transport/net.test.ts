import { connect, type Socket } from 'node:net'
import { Readable } from 'node:stream'
import { SeededRandom } from '@nomadic/runtime'
import { afterEach, describe, expect, it } from 'vitest'
import { createTcpTransport, splitHostPort } from '../../src/transport/tcp.js'
import { encodeRequest } from '../../src/transport/wire.js'
import type { NetworkTransport } from '../../src/transport/net.js'
import type { AppendEntriesRequest, RPC } from '../../src/types.js'

const transports: NetworkTransport[] = []
const sockets: Socket[] = []
afterEach(async () => {
  for (const t of transports.splice(0)) await t.close()
  for (const s of sockets.splice(0)) s.destroy()
})

async function transport(options = {}): Promise<NetworkTransport> {
  const t = await createTcpTransport('127.0.0.1:0', options)
  transports.push(t)
  return t
}

const ae = (over: Partial<AppendEntriesRequest> = {}): AppendEntriesRequest => ({
  ProtocolVersion: 3, Term: 4, Leader: Buffer.from('127.0.0.1:1'), PrevLogEntry: 10, PrevLogTerm: 3,
  Entries: [{ Index: 11, Term: 4, Type: 0, Data: Buffer.from('x'), Extensions: Buffer.alloc(0) }], LeaderCommitIndex: 9, ...over,
})

/** A consumer that answers AppendEntries with LastLog = the last entry's index. */
function answerAll(t: NetworkTransport, seen: RPC[] = []): RPC[] {
  t.setConsumer((rpc) => {
    seen.push(rpc)
    switch (rpc.type) {
      case 0: {
        const last = rpc.command.Entries.at(-1)?.Index ?? rpc.command.PrevLogEntry
        rpc.respond({ ProtocolVersion: 3, Term: rpc.command.Term, LastLog: last, Success: true, NoRetryBackoff: false })
        return
      }
      case 1:
        rpc.respond(undefined, new Error('unsupported protocol'))
        return
      case 3:
        rpc.respond({ ProtocolVersion: 3 })
        return
      case 2: {
        const parts: Buffer[] = []
        rpc.reader!.on('data', (c: Buffer) => parts.push(c))
        rpc.reader!.on('end', () => {
          const data = Buffer.concat(parts)
          rpc.respond({ ProtocolVersion: 0, Term: data.length, Success: data.equals(expectedSnapshot(rpc.command.Size)) })
        })
        return
      }
      default:
        rpc.respond(undefined, new Error('unexpected command'))
    }
  })
  return seen
}

function expectedSnapshot(size: number): Buffer {
  const b = Buffer.alloc(size)
  for (let i = 0; i < size; i++) b[i] = (i * 31 + 7) & 0xff
  return b
}

function rawSocket(address: string): Promise<Socket> {
  const { host, port } = splitHostPort(address)
  return new Promise((resolve, reject) => {
    const s = connect({ host, port }, () => resolve(s))
    s.once('error', reject)
    sockets.push(s)
  })
}

function closed(s: Socket): Promise<void> {
  return new Promise((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())))
}

describe('NetworkTransport over TCP', () => {
  it('carries AppendEntries, error responses and TimeoutNow, reusing pooled connections', async () => {
    const server = await transport()
    const client = await transport()
    const seen = answerAll(server)
    const resp = await client.appendEntries('s', server.localAddr(), ae())
    expect(resp).toEqual({ ProtocolVersion: 3, Term: 4, LastLog: 11, Success: true, NoRetryBackoff: false })
    expect(seen[0]!.command).toEqual(ae())
    await expect(client.requestVote('s', server.localAddr(), {
      ProtocolVersion: 3, Term: 5, Candidate: Buffer.from('c'), LastLogIndex: 1, LastLogTerm: 1, LeadershipTransfer: false,
    })).rejects.toMatchObject({ code: 'RAFT_REMOTE', message: 'unsupported protocol' })
    expect(await client.timeoutNow('s', server.localAddr(), { ProtocolVersion: 3 })).toEqual({ ProtocolVersion: 3 })
    // Sequential calls share one pooled connection; concurrent ones open more, up to the pool.
    expect((server as unknown as { inbound: Set<unknown> }).inbound.size).toBe(1)
    await Promise.all(Array.from({ length: 5 }, () => client.appendEntries('s', server.localAddr(), ae())))
    expect((client as unknown as { pool: Map<string, unknown[]> }).pool.get(server.localAddr())!.length).toBe(3)
  })

  it('hands heartbeats to the heartbeat handler and everything else to the consumer', async () => {
    const server = await transport()
    const client = await transport()
    const seen = answerAll(server)
    const beats: RPC[] = []
    server.setHeartbeatHandler((rpc) => {
      beats.push(rpc)
      if (rpc.type === 0) rpc.respond({ ProtocolVersion: 3, Term: 4, LastLog: 0, Success: true, NoRetryBackoff: false })
    })
    await client.appendEntries('s', server.localAddr(), ae({ PrevLogEntry: 0, PrevLogTerm: 0, Entries: [], LeaderCommitIndex: 0 }))
    await client.appendEntries('s', server.localAddr(), ae({ PrevLogEntry: 0, PrevLogTerm: 0, Entries: [], LeaderCommitIndex: 1 }))
    expect(beats.length).toBe(1)
    expect(seen.length).toBe(1)
  })

  it('pipelines AppendEntries and matches responses in order', async () => {
    const server = await transport()
    const client = await transport()
    answerAll(server)
    const pipe = await client.appendEntriesPipeline('s', server.localAddr())
    const responses = await Promise.all(Array.from({ length: 300 }, (_, i) =>
      pipe.appendEntries(ae({ Entries: [{ Index: i + 1, Term: 4, Type: 0, Data: Buffer.alloc(128, i), Extensions: Buffer.alloc(0) }] }))))
    expect(responses.map((r) => r.LastLog)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1))
    await pipe.close()
    await expect(pipe.appendEntries(ae())).rejects.toMatchObject({ code: 'RAFT_PIPELINE_SHUTDOWN' })
  })

  it('streams InstallSnapshot data after the request', async () => {
    const server = await transport()
    const client = await transport()
    answerAll(server)
    const size = 3 * 1024 * 1024 + 17
    const data = expectedSnapshot(size)
    const chunks = Array.from({ length: Math.ceil(size / 65536) }, (_, i) => data.subarray(i * 65536, (i + 1) * 65536))
    const resp = await client.installSnapshot('s', server.localAddr(), {
      ProtocolVersion: 3, SnapshotVersion: 1, Term: 2, Leader: Buffer.from('l'), LastLogIndex: 100, LastLogTerm: 2,
      Peers: Buffer.alloc(0), Configuration: Buffer.alloc(0), ConfigurationIndex: 1, Size: size,
    }, Readable.from(chunks))
    expect(resp).toEqual({ ProtocolVersion: 0, Term: size, Success: true })
    // The connection after a snapshot is not reused, but the server keeps serving others.
    expect((await client.appendEntries('s', server.localAddr(), ae())).Success).toBe(true)
  })

  it('dials the address a serverAddressProvider gives for the server ID', async () => {
    const server = await transport()
    answerAll(server)
    const client = await transport({ serverAddressProvider: (id: string) => (id === 's' ? server.localAddr() : undefined) })
    expect((await client.appendEntries('s', '127.0.0.1:1', ae())).Success).toBe(true)
    expect(client.encodePeer('s', 'ignored').toString()).toBe(server.localAddr())
    await expect(client.appendEntries('other', '127.0.0.1:1', ae())).rejects.toMatchObject({ code: 'RAFT_UNREACHABLE' })
  })

  it('rejects an RPC whose AbortSignal fires, and drops that connection', async () => {
    const server = await transport()
    const client = await transport()
    server.setConsumer(() => {}) // never responds
    const controller = new AbortController()
    const pending = client.appendEntries('s', server.localAddr(), ae(), controller.signal)
    setTimeout(() => controller.abort(), 20)
    await expect(pending).rejects.toMatchObject({ code: 'RAFT_TIMEOUT' })
    expect((client as unknown as { pool: Map<string, unknown[]> }).pool.get(server.localAddr()) ?? []).toEqual([])
  })

  it('fails an InstallSnapshot whose data ends before Size bytes; the receiver sees the stream break', async () => {
    const server = await transport()
    const client = await transport()
    const readerError = new Promise<Error>((resolve) => server.setConsumer((rpc) => {
      rpc.reader?.on('error', resolve)
      rpc.reader?.resume()
    }))
    await expect(client.installSnapshot('s', server.localAddr(), {
      ProtocolVersion: 3, SnapshotVersion: 1, Term: 2, Leader: Buffer.from('l'), LastLogIndex: 100, LastLogTerm: 2,
      Peers: Buffer.alloc(0), Configuration: Buffer.alloc(0), ConfigurationIndex: 1, Size: 1000,
    }, Readable.from([Buffer.alloc(10)]))).rejects.toThrow(/ended after 10 of 1000 bytes/)
    expect((await readerError).message).toBe('connection closed')
  })

  it('times out an RPC the peer never answers, and fails fast on an unreachable peer', async () => {
    const server = await transport()
    const client = await transport({ timeoutMs: 200 })
    server.setConsumer(() => {}) // never responds
    await expect(client.appendEntries('s', server.localAddr(), ae())).rejects.toMatchObject({ code: 'RAFT_TIMEOUT' })
    const gone = await transport()
    const addr = gone.localAddr()
    await gone.close()
    await expect(client.appendEntries('s', addr, ae())).rejects.toMatchObject({ code: 'RAFT_UNREACHABLE' })
  })

  describe('bad input on the transport port closes that connection only', () => {
    async function check(bytes: Buffer | Buffer[], options = {}): Promise<void> {
      const server = await transport(options)
      const client = await transport()
      answerAll(server)
      const bad = await rawSocket(server.localAddr())
      for (const b of Array.isArray(bytes) ? bytes : [bytes]) bad.write(b)
      await closed(bad)
      expect((await client.appendEntries('s', server.localAddr(), ae())).Success).toBe(true)
    }

    it('an unknown rpc type', async () => {
      await check(Buffer.from([9, 0x80]))
    })

    it('a request that is not a map', async () => {
      await check(Buffer.from([0, 0x93, 1, 2, 3]))
    })

    it('a field of the wrong type', async () => {
      await check(Buffer.from('0081a45465726da178', 'hex'))
    })

    it('a declared length beyond the message limit', async () => {
      await check(Buffer.from('00' + '81a444617461' + 'db7fffffff', 'hex'), { maxMessageBytes: 1 << 20 })
    })

    it('a msgpack byte that starts no value', async () => {
      await check(Buffer.from([0, 0xc1]))
    })

    it('random bytes from many seeds', async () => {
      const server = await transport()
      const client = await transport()
      answerAll(server)
      for (let seed = 1; seed <= 40; seed++) {
        const rnd = new SeededRandom(seed)
        const junk = Buffer.alloc(64 + Math.floor(rnd.next() * 512))
        for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(rnd.next() * 256)
        junk[0] = Math.floor(rnd.next() * 4) // a valid type byte, then garbage
        const s = await rawSocket(server.localAddr())
        s.on('error', () => {})
        s.write(junk)
        s.end()
        await closed(s)
      }
      expect((await client.appendEntries('s', server.localAddr(), ae())).Success).toBe(true)
    })

    it('a truncated frame waits for the rest, and a closed one is dropped without a dispatch', async () => {
      const server = await transport()
      const seen = answerAll(server)
      const frame = encodeRequest(0, ae())
      const s = await rawSocket(server.localAddr())
      s.write(frame.subarray(0, frame.length - 3))
      await new Promise((r) => setTimeout(r, 50))
      expect(seen.length).toBe(0)
      const reply = new Promise<Buffer>((resolve) => s.once('data', resolve))
      s.write(frame.subarray(frame.length - 3))
      expect((await reply)[0]).toBe(0xa0) // "" error string: success
      s.write(frame.subarray(0, 10))
      s.end()
      await closed(s)
      expect(seen.length).toBe(1)
    })
  })
})

describe('a replaceable stream layer (Nomad multiplexes Raft behind RPC mode byte 0x02)', () => {
  it('serves connections handed over after the mode byte, and dials with the mode byte first', async () => {
    const { createServer, connect: dial } = await import('node:net')
    const { NetworkTransport } = await import('../../src/transport/net.js')
    // A toy "RPC port": reads one byte per connection and hands 0x02 connections to raft.
    let raft: InstanceType<typeof NetworkTransport> | undefined
    const modes: number[] = []
    const rpcPort = createServer((socket) => {
      socket.once('readable', () => {
        const first = socket.read(1) as Buffer | null
        if (first === null) return
        modes.push(first[0]!)
        if (first[0] !== 0x02) {
          socket.destroy()
          return
        }
        raft!.handleConnection(socket)
      })
    })
    await new Promise<void>((r) => rpcPort.listen(0, '127.0.0.1', () => r()))
    const address = `127.0.0.1:${(rpcPort.address() as { port: number }).port}`
    const muxLayer = {
      addr: () => address,
      accept: () => {},
      close: async () => {},
      dial: (target: string) => new Promise<Socket>((resolve, reject) => {
        const { host, port } = splitHostPort(target)
        const s = dial({ host, port }, () => {
          s.write(Buffer.from([0x02]))
          resolve(s)
        })
        s.once('error', reject)
      }),
    }
    raft = new NetworkTransport({ stream: muxLayer })
    const client = new NetworkTransport({ stream: { ...muxLayer, addr: () => 'client' } })
    answerAll(raft)
    try {
      const resp = await client.appendEntries('s', address, ae())
      expect(resp.Success).toBe(true)
      expect(modes).toEqual([0x02])
    } finally {
      await client.close()
      await raft.close()
      await new Promise<void>((r) => rpcPort.close(() => r()))
    }
  })
})

describe('a burst of requests answered at once', () => {
  it('is served in order without growing the stack', async () => {
    const server = await transport()
    let served = 0
    server.setConsumer((rpc) => {
      served++
      if (rpc.type === 3) rpc.respond({ ProtocolVersion: 3 })
      else rpc.respond(undefined, new Error('no'))
    })
    const frame = encodeRequest(3, { ProtocolVersion: 3 })
    const count = 50_000
    const s = await rawSocket(server.localAddr())
    let received = 0
    const done = new Promise<void>((resolve) => {
      s.on('data', (c: Buffer) => {
        received += c.length
        if (received >= count * 19) resolve() // "" + {ProtocolVersion: 3} is 19 bytes
      })
      s.on('close', () => resolve()) // the server gave up on the connection
    })
    s.write(Buffer.concat(Array.from({ length: count }, () => frame)))
    await done
    expect(served).toBe(count)
    expect(received).toBe(count * 19)
  })
})
