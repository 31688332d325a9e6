import { afterEach, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { encode } from '@nomadic/msgpack'
import { InmemMetrics, SimClock } from '@nomadic/runtime'
import { outgoingWrapper } from '@nomadic/tls'
import { Session } from '@nomadic/yamux'
import { dialRpc, RemoteError, RpcServer, RpcStreamClient, RpcType, startStreaming, type RpcContext } from '../src/index.js'
import { certs, closed, rawConnect, readBytes, startServer, tlsOf, waitFor, readText } from './helpers.js'
import type { Duplex } from 'node:stream'

const stops: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop()
})

async function server(options: Parameters<typeof startServer>[0] = {}): ReturnType<typeof startServer> {
  const started = await startServer(options)
  stops.push(() => started.server.stop())
  return started
}

function raw(port: number, local?: string): ReturnType<typeof rawConnect> {
  return rawConnect(port, local).then((s) => {
    stops.push(() => {
      s.destroy()
    })
    return s
  })
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')

describe('first byte 0x01: net/rpc over msgpack', () => {
  it('answers Status.Ping with exactly the bytes Go writes', async () => {
    const { port } = await server()
    const socket = await raw(port)
    // 0x01, {"ServiceMethod":"Status.Ping","Seq":0}, {}
    socket.write(Buffer.concat([Buffer.from([0x01]), encode({ ServiceMethod: 'Status.Ping', Seq: 0 }), hex('80')]))
    const expected = Buffer.concat([
      hex('83 ad'), Buffer.from('ServiceMethod'), hex('ab'), Buffer.from('Status.Ping'),
      hex('a3'), Buffer.from('Seq'), hex('00 a5'), Buffer.from('Error'), hex('a0 80'),
    ])
    expect(await readBytes(socket, expected.length)).toEqual(expected)
  })

  it('sends net/rpc texts for unknown services and methods, with an empty body, and keeps the stream', async () => {
    const { port } = await server()
    const socket = await raw(port)
    socket.write(Buffer.from([0x01]))
    const client = new RpcStreamClient(socket)
    await expect(client.call('Nope.Ping', {})).rejects.toThrow(new RemoteError("rpc: can't find service Nope.Ping"))
    await expect(client.call('Status.Pong', {})).rejects.toThrow("rpc: can't find method Status.Pong")
    await expect(client.call('Echo.Fail', { Value: 'x' })).rejects.toThrow('echo failure: x')
    expect(await client.call('Echo.Echo', { Value: 'after', N: 4 })).toMatchObject({ Value: 'after', N: 4, Index: 5 })
    // Calls made together on one stream run one at a time, each getting its own reply.
    const together = await Promise.all([1, 2, 3, 4, 5].map((n) => client.call('Echo.Echo', { Value: `t${n}`, N: n })))
    expect(together.map((r) => (r as { Value: string }).Value)).toEqual(['t1', 't2', 't3', 't4', 't5'])
  })

  it("counts Nomad's metrics: accepted connections, requests, request errors", async () => {
    const metrics = new InmemMetrics()
    const { port } = await server({ metrics })
    const socket = await raw(port)
    socket.write(Buffer.from([0x01]))
    const client = new RpcStreamClient(socket)
    await client.call('Status.Ping', {})
    await client.call('Status.Ping', {})
    const bad = await raw(port)
    bad.write(Buffer.concat([Buffer.from([0x01]), hex('c1')]))
    await closed(bad)
    expect(metrics.count('nomad.rpc.accept_conn')).toBe(2)
    expect(metrics.count('nomad.rpc.request')).toBe(2)
    expect(metrics.count('nomad.rpc.request_error')).toBe(1)
  })

  it('closes the connection on a malformed body and keeps serving others', async () => {
    const { port } = await server()
    const good = await raw(port)
    good.write(Buffer.from([0x01]))
    const client = new RpcStreamClient(good)
    const bad = await raw(port)
    bad.write(Buffer.concat([Buffer.from([0x01]), encode({ ServiceMethod: 'Status.Ping', Seq: 1 }), hex('c1')]))
    await closed(bad)
    expect(await client.call('Status.Ping', {})).toEqual({})
  })

  it('refuses a declared length beyond maxMessageBytes before buffering it', async () => {
    const { port } = await server({ maxMessageBytes: 1024 })
    const socket = await raw(port)
    // A raw32 string header announcing 4 GiB.
    socket.write(Buffer.concat([Buffer.from([0x01]), hex('81 a1 41 db ffffffff')]))
    await closed(socket)
  })

  it('survives fuzzed msgpack after 0x01 and still serves', async () => {
    const { port } = await server({ maxMessageBytes: 4096 })
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), async (bytes) => {
        const socket = await rawConnect(port)
        socket.write(Buffer.concat([Buffer.from([0x01]), Buffer.from(bytes)]))
        socket.end()
        await closed(socket)
      }),
      { numRuns: 100, seed: 7 },
    )
    const socket = await raw(port)
    socket.write(Buffer.from([0x01]))
    expect(await new RpcStreamClient(socket).call('Status.Ping', {})).toEqual({})
  })
})

describe('first bytes 0x03, 0x05, 0x06 and unknown bytes', () => {
  for (const [name, byte] of [['0x03 (every stream RPC)', RpcType.Multiplex], ['0x06 (per-stream byte)', RpcType.MultiplexV2]] as const) {
    it(`serves many concurrent streams over yamux ${name}`, async () => {
      const { port } = await server()
      const socket = await raw(port)
      socket.write(Buffer.from([byte]))
      const session = Session.client(socket)
      stops.push(() => session.close())
      const results = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const stream = await session.open()
          if (byte === RpcType.MultiplexV2) stream.write(Buffer.from([RpcType.Nomad]))
          const client = new RpcStreamClient(stream)
          const replies = []
          for (let k = 0; k < 5; k++) replies.push(await client.call('Echo.Echo', { Value: `s${i}`, N: k, Data: Buffer.from([i, k]) }, { decode: { bytesKeys: new Set(['Data']) } }))
          client.close()
          return replies
        }),
      )
      expect(results[7]![3]).toEqual({ Value: 's7', N: 3, Index: 4, Data: Buffer.from([7, 3]) })
    })
  }

  it('runs streaming RPC on 0x05 and on 0x06 streams: header, ack, then raw bytes', async () => {
    const { port } = await server()
    const socket = await raw(port)
    socket.write(Buffer.from([RpcType.Streaming]))
    const stream = await startStreaming(socket, 'Echo.Stream')
    stream.write('raw bytes')
    expect((await readBytes(socket, 9)).toString()).toBe('raw bytes')

    const muxed = await raw(port)
    muxed.write(Buffer.from([RpcType.MultiplexV2]))
    const session = Session.client(muxed)
    stops.push(() => session.close())
    const s = await session.open()
    s.write(Buffer.from([RpcType.Streaming]))
    const echoed = await startStreaming(s, 'Echo.Stream')
    echoed.end('over yamux')
    expect(await readText(echoed)).toBe('over yamux')
  })

  it("acks an unknown streaming method with Nomad's text and closes", async () => {
    const { port } = await server()
    const socket = await raw(port)
    socket.write(Buffer.from([RpcType.Streaming]))
    await expect(startStreaming(socket, 'Nope.Stream')).rejects.toThrow('Unknown rpc method: "Nope.Stream"')
  })

  it('closes connections with every unknown first byte, and keeps serving', async () => {
    const { port } = await server()
    const known = new Set<number>(Object.values(RpcType))
    for (let byte = 0; byte < 256; byte++) {
      if (known.has(byte)) continue
      const socket = await rawConnect(port)
      socket.write(Buffer.from([byte, 0x01, 0x02]))
      await closed(socket)
    }
    const socket = await raw(port)
    socket.write(Buffer.from([0x01]))
    expect(await new RpcStreamClient(socket).call('Status.Ping', {})).toEqual({})
  })

  it('survives fuzzed yamux frames after 0x06: closes that connection only', async () => {
    const { port } = await server()
    const keeper = await raw(port)
    keeper.write(Buffer.from([RpcType.MultiplexV2]))
    const session = Session.client(keeper)
    stops.push(() => session.close())
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 12, maxLength: 40 }), { minLength: 1, maxLength: 6 }), async (frames) => {
        const socket = await rawConnect(port)
        socket.write(Buffer.concat([Buffer.from([RpcType.MultiplexV2]), ...frames.map((f) => Buffer.from(f))]))
        socket.end()
        await closed(socket)
      }),
      { numRuns: 60, seed: 11 },
    )
    const stream = await session.open()
    stream.write(Buffer.from([RpcType.Nomad]))
    expect(await new RpcStreamClient(stream).call('Status.Ping', {})).toEqual({})
  })

  it('hands 0x02 to the Raft handler with the following bytes intact, and closes it without one', async () => {
    const got: Array<{ data: string; ctx: RpcContext }> = []
    const { server: srv, port } = await server()
    const first = await raw(port)
    first.write(Buffer.from([0x02, 0x41]))
    await closed(first)
    srv.setRaftHandler((conn, ctx) => {
      conn.once('data', (d: Buffer) => {
        got.push({ data: d.toString(), ctx })
        conn.end('ok')
      })
      conn.resume()
    })
    const socket = await raw(port)
    socket.write(Buffer.from([0x02, 0x68, 0x69]))
    expect((await readBytes(socket, 2)).toString()).toBe('ok')
    expect(got[0]!.data).toBe('hi')
    expect(got[0]!.ctx.tls).toBe(false)
  })
})

describe('limits', () => {
  it('closes a silent connection at the handshake timeout (simulated clock)', async () => {
    const clock = new SimClock()
    const { port } = await server({ clock, handshakeTimeoutMs: 5000 })
    const silent = await raw(port)
    await waitFor(() => clock.pending() === 1)
    clock.advance(4999)
    await new Promise((r) => setTimeout(r, 20))
    expect(silent.destroyed).toBe(false)
    const done = closed(silent)
    clock.advance(1)
    await done
  })

  it('closes a silent TLS handshake at the handshake timeout', async () => {
    const { port } = await server({ handshakeTimeoutMs: 150, tls: tlsOf(certs().server) })
    const socket = await raw(port)
    socket.write(Buffer.from([RpcType.TLS]))
    const start = Date.now()
    await closed(socket)
    expect(Date.now() - start).toBeGreaterThanOrEqual(100)
  })

  it('refuses connections beyond the per-IP limit while other IPs are served', async () => {
    const { server: srv, port } = await server({ maxConnsPerClient: 26 })
    const held = []
    for (let i = 0; i < 26; i++) held.push(await raw(port))
    await waitFor(() => srv.connectionCount === 26)
    const refused = await raw(port)
    await closed(refused)
    // Another loopback address has its own budget.
    const other = await raw(port, '127.0.0.2')
    other.write(Buffer.from([0x01]))
    expect(await new RpcStreamClient(other).call('Status.Ping', {})).toEqual({})
    // Freeing one slot lets the flooding IP in again.
    held.pop()!.destroy()
    await waitFor(() => srv.connectionCount === 26)
    const again = await raw(port)
    again.write(Buffer.from([0x01]))
    expect(await new RpcStreamClient(again).call('Status.Ping', {})).toEqual({})
  })

  it('keeps 20 connections per IP for non-streaming use', async () => {
    const { port } = await server({ maxConnsPerClient: 26 })
    for (let i = 0; i < 6; i++) {
      const s = await raw(port, '127.0.0.3')
      s.write(Buffer.from([RpcType.Streaming]))
      await startStreaming(s, 'Echo.Stream')
    }
    const seventh = await raw(port, '127.0.0.3')
    seventh.write(Buffer.from([RpcType.Streaming]))
    await closed(seventh)
    const plain = await raw(port, '127.0.0.3')
    plain.write(Buffer.from([0x01]))
    expect(await new RpcStreamClient(plain).call('Status.Ping', {})).toEqual({})
  })

  it('rejects a per-IP limit under 26 by name', () => {
    expect(() => new RpcServer({ maxConnsPerClient: 10 })).toThrow(/rpc_max_conns_per_client\) must be > 25; found: 10/)
    expect(() => new RpcServer({ maxConnsPerClient: 0 })).not.toThrow()
  })
})

describe('TLS', () => {
  async function tlsConn(port: number, who: keyof ReturnType<typeof certs>, next: number): Promise<Duplex> {
    const { conn, socket } = await dialRpc(`127.0.0.1:${port}`, { tlsWrap: outgoingWrapper(tlsOf(certs()[who])), region: 'global' })
    stops.push(() => {
      socket.destroy()
    })
    conn.on('error', () => {})
    conn.write(Buffer.from([next]))
    return conn
  }

  it('serves RPC over 0x04 with a client certificate of our region', async () => {
    const { port } = await server({ tls: tlsOf(certs().server) })
    const conn = await tlsConn(port, 'client', RpcType.Nomad)
    expect(await new RpcStreamClient(conn).call('Echo.Echo', { Value: 'secure', N: 1 })).toMatchObject({ Value: 'secure', Index: 2 })
  })

  it('refuses plaintext when TLS is required, unless upgrade mode is on', async () => {
    const { port } = await server({ tls: tlsOf(certs().server) })
    const plain = await raw(port)
    plain.write(Buffer.from([0x01]))
    await closed(plain)
    const upgrade = await server({ tls: tlsOf(certs().server), upgradeMode: true })
    const allowed = await raw(upgrade.port)
    allowed.write(Buffer.from([0x01]))
    expect(await new RpcStreamClient(allowed).call('Status.Ping', {})).toEqual({})
  })

  it('refuses a client certificate of another region and one of another role', async () => {
    const { port } = await server({ tls: tlsOf(certs().server) })
    await expect(tlsConn(port, 'clientEast', RpcType.Nomad).then((c) => new RpcStreamClient(c).call('Status.Ping', {}))).rejects.toThrow()
    await expect(tlsConn(port, 'otherRole', RpcType.Nomad).then((c) => new RpcStreamClient(c).call('Status.Ping', {}))).rejects.toThrow()
  })

  it('uses new certificates for new handshakes after reloadTls', async () => {
    const { server: srv, port } = await server({ tls: tlsOf(certs().server) })
    const before = new RpcStreamClient(await tlsConn(port, 'client', RpcType.Nomad))
    expect(await before.call('Status.Ping', {})).toEqual({})
    // Reload to a certificate that does not name server.global.nomad: hostname-verifying clients now refuse it.
    srv.reloadTls(tlsOf(certs().client))
    await expect(tlsConn(port, 'client', RpcType.Nomad)).rejects.toThrow()
    // The connection made before the reload keeps working.
    expect(await before.call('Status.Ping', {})).toEqual({})
  })

  it('stop() closes TLS connections and yamux sessions, and is idempotent', async () => {
    const { server: srv, port } = await server({ tls: tlsOf(certs().server) })
    const conn = await tlsConn(port, 'client', RpcType.MultiplexV2)
    const session = Session.client(conn)
    const stream = await session.open()
    stream.write(Buffer.from([RpcType.Nomad]))
    expect(await new RpcStreamClient(stream).call('Status.Ping', {})).toEqual({})
    expect(srv.connectionCount).toBe(1)
    const sessionClosed = new Promise<void>((resolve) => session.once('close', () => resolve()))
    await srv.stop()
    await srv.stop()
    await sessionClosed
    expect(srv.connectionCount).toBe(0)
  })

  it('refuses TLS inside TLS', async () => {
    const { port } = await server({ tls: tlsOf(certs().server) })
    const conn = await tlsConn(port, 'client', RpcType.TLS)
    await new Promise<void>((resolve) => {
      conn.once('close', () => resolve())
      conn.resume()
    })
  })

  it('gives 0x02 to the Raft handler only for server certificates', async () => {
    const handed: RpcContext[] = []
    const { server: srv, port } = await server({ tls: tlsOf(certs().server) })
    srv.setRaftHandler((conn, ctx) => {
      handed.push(ctx)
      conn.end()
    })
    const fromClient = await tlsConn(port, 'client', RpcType.Raft)
    await new Promise<void>((resolve) => {
      fromClient.once('close', () => resolve())
      fromClient.resume()
    })
    expect(handed).toHaveLength(0)
    const fromServer = await tlsConn(port, 'server', RpcType.Raft)
    await new Promise<void>((resolve) => {
      fromServer.once('close', () => resolve())
      fromServer.resume()
    })
    expect(handed).toHaveLength(1)
    expect(handed[0]!.tls).toBe(true)
  })
})
