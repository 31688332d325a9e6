import { createServer, connect, type Server, type Socket } from 'node:net'
import { once } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { SimClock } from '@nomadic/runtime'
import { encodeHeader, Flag, FrameType, GoAwayCode, readHeader, Session, YamuxError, type YamuxStream } from '../src/index.js'
import { duplexPair, readAll, waitFor } from './pair.js'

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const fn of cleanups.splice(0)) fn()
})

async function tcpPair(): Promise<[Socket, Socket]> {
  const server: Server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as { port: number }).port
  const accepted = once(server, 'connection')
  const client = connect(port, '127.0.0.1')
  const [serverSide] = (await accepted) as [Socket]
  await once(client, 'connect')
  server.close()
  cleanups.push(() => {
    client.destroy()
    serverSide.destroy()
  })
  return [client, serverSide]
}

function sessions(a: import('node:stream').Duplex, b: import('node:stream').Duplex, clock?: SimClock): [Session, Session] {
  const client = Session.client(a, { clock, enableKeepAlive: clock !== undefined })
  const server = Session.server(b, { clock, enableKeepAlive: clock !== undefined })
  cleanups.push(() => {
    client.close()
    server.close()
  })
  return [client, server]
}

/** Bytes written by a session, split into frames (header + payload). */
function frames(bytes: Buffer): Array<ReturnType<typeof readHeader>> {
  const out = []
  let off = 0
  while (off + 12 <= bytes.length) {
    const h = readHeader(bytes, off)
    out.push(h)
    off += 12 + (h.type === FrameType.Data ? h.length : 0)
  }
  return out
}

describe('yamux session', () => {
  it('opens with a window-update SYN on an odd ID and is ACKed on accept', async () => {
    const [a, b] = duplexPair()
    const written: Buffer[] = []
    const origWrite = a.write.bind(a)
    a.write = ((chunk: Buffer, ...rest: unknown[]) => {
      written.push(Buffer.from(chunk))
      return (origWrite as (...args: unknown[]) => boolean)(chunk, ...rest)
    }) as typeof a.write
    const [client, server] = sessions(a, b)
    const s1 = await client.open()
    const s2 = await client.open()
    expect([s1.id, s2.id]).toEqual([1, 3])
    await new Promise((r) => setImmediate(r))
    const sent = frames(Buffer.concat(written))
    expect(sent[0]).toEqual({ version: 0, type: FrameType.WindowUpdate, flags: Flag.SYN, streamId: 1, length: 0 })
    const accepted = await server.accept()
    expect(accepted.id).toBe(1)
    const reverse = await server.open()
    expect(reverse.id).toBe(2)
  })

  it('carries data both ways and half-closes with FIN', async () => {
    const [a, b] = await tcpPair()
    const [client, server] = sessions(a, b)
    const stream = await client.open()
    stream.end('hello yamux')
    const peer = await server.accept()
    expect((await readAll(peer)).toString()).toBe('hello yamux')
    peer.end('bye')
    expect((await readAll(stream)).toString()).toBe('bye')
    await new Promise((r) => setImmediate(r))
    expect(client.numStreams).toBe(0)
  })

  it('moves 8 MiB through a slow reader with 256 KiB windows (back-pressure)', async () => {
    const [a, b] = await tcpPair()
    const [client, server] = sessions(a, b)
    const data = Buffer.alloc(8 * 1024 * 1024)
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff
    const stream = await client.open()
    stream.end(data)
    const peer = await server.accept()
    // Pause the reader: the writer must stop at the window instead of buffering everything.
    peer.pause()
    await waitFor(() => stream.sendWindowBytes === 0)
    expect(stream.writableLength).toBeGreaterThan(4 * 1024 * 1024)
    peer.resume()
    const got = await readAll(peer)
    expect(got.equals(data)).toBe(true)
  })

  it('runs many streams at once', async () => {
    const [a, b] = await tcpPair()
    const [client, server] = sessions(a, b)
    void (async () => {
      for await (const s of server) s.pipe(s)
    })()
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const s = await client.open()
        const body = Buffer.alloc(10_000 + i, i)
        s.end(body)
        return (await readAll(s)).equals(body)
      }),
    )
    expect(results.every(Boolean)).toBe(true)
  })

  it('answers pings and measures RTT on its clock', async () => {
    const [a, b] = await tcpPair()
    const [client] = sessions(a, b)
    const rtt = await client.ping()
    expect(rtt).toBeGreaterThanOrEqual(0)
  })

  it('closes on a missed keepalive', async () => {
    const clock = new SimClock()
    const [a, b] = duplexPair()
    const client = Session.client(a, { clock, keepAliveIntervalMs: 1000, connectionWriteTimeoutMs: 500 })
    cleanups.push(() => client.close())
    b.on('data', () => {}) // nobody answers
    const closed = new Promise<[YamuxError]>((resolve) => client.once('close', (e) => resolve([e as YamuxError])))
    clock.advance(1000)
    clock.advance(500)
    const [reason] = (await closed) as [YamuxError]
    expect(reason.code).toBe('YAMUX_KEEPALIVE_TIMEOUT')
    await once(a, 'close')
    expect(clock.pending()).toBe(0)
  })

  it('closes when an opened stream is never acknowledged', async () => {
    const clock = new SimClock()
    const [a, b] = duplexPair()
    b.on('data', () => {})
    const client = Session.client(a, { clock, enableKeepAlive: false, streamOpenTimeoutMs: 2000 })
    cleanups.push(() => client.close())
    const stream = await client.open()
    stream.on('error', () => {})
    clock.advance(2000)
    expect(client.isClosed).toBe(true)
    expect((client.closeReason as YamuxError).code).toBe('YAMUX_STREAM_OPEN_TIMEOUT')
  })

  it('resets a half-closed stream whose peer never closes', async () => {
    const clock = new SimClock()
    const [a, b] = duplexPair()
    const client = Session.client(a, { clock, enableKeepAlive: false })
    const server = Session.server(b, { clock, enableKeepAlive: false })
    cleanups.push(() => { client.close(); server.close() })
    const stream = await client.open()
    stream.on('error', () => {})
    // Accepted (ACKed) first: a SYN and FIN arriving together get no ACK, in Go's yamux too.
    await server.accept()
    stream.end()
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
    expect(stream.state).toBe('local-close')
    clock.advance(5 * 60_000)
    expect(stream.state).toBe('reset')
    expect(client.numStreams).toBe(0)
  })

  it('refuses opens after a go-away and resets streams the peer opens after ours', async () => {
    const [a, b] = await tcpPair()
    const [client, server] = sessions(a, b)
    server.goAway()
    await waitFor(() => client.peerWentAway)
    await expect(client.open()).rejects.toMatchObject({ code: 'YAMUX_REMOTE_GO_AWAY' })
  })

  it('resets streams beyond the accept backlog', async () => {
    const [a, b] = await tcpPair()
    const client = Session.client(a, { enableKeepAlive: false, acceptBacklog: 2 })
    const server = Session.server(b, { enableKeepAlive: false, acceptBacklog: 2 })
    cleanups.push(() => { client.close(); server.close() })
    // Raw SYNs so the client's own in-flight limit does not hold them back.
    for (const id of [1, 3, 5]) a.write(encodeHeader(FrameType.WindowUpdate, Flag.SYN, id, 0))
    const rst = await new Promise<ReturnType<typeof readHeader>>((resolve) => {
      const onData = (c: Buffer): void => {
        for (const h of frames(c)) if ((h.flags & Flag.RST) !== 0) resolve(h)
      }
      a.prependListener('data', onData)
    })
    expect(rst.streamId).toBe(5)
    expect(server.numStreams).toBe(2)
  })

  const protocolErrors: Array<[string, Buffer, string]> = [
    ['a bad version', Buffer.from([1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]), 'YAMUX_INVALID_VERSION'],
    ['an unknown type', Buffer.from([0, 9, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]), 'YAMUX_INVALID_MSG_TYPE'],
    ['an even ID from the client', encodeHeader(FrameType.WindowUpdate, Flag.SYN, 2, 0), 'YAMUX_INVALID_STREAM_ID'],
    ['a duplicate SYN', Buffer.concat([encodeHeader(FrameType.WindowUpdate, Flag.SYN, 1, 0), encodeHeader(FrameType.WindowUpdate, Flag.SYN, 1, 0)]), 'YAMUX_DUPLICATE_STREAM'],
    ['data beyond the window', Buffer.concat([encodeHeader(FrameType.WindowUpdate, Flag.SYN, 1, 0), encodeHeader(FrameType.Data, 0, 1, 256 * 1024 + 1)]), 'YAMUX_RECV_WINDOW_EXCEEDED'],
  ]
  for (const [what, bytes, code] of protocolErrors) {
    it(`answers ${what} with a protocol-error go-away and closes`, async () => {
      const [a, b] = await tcpPair()
      const server = Session.server(b, { enableKeepAlive: false })
      cleanups.push(() => server.close())
      const received: Buffer[] = []
      a.on('data', (c: Buffer) => received.push(c))
      a.write(bytes)
      await once(a, 'end')
      expect((server.closeReason as YamuxError).code).toBe(code)
      const goAway = frames(Buffer.concat(received)).find((h) => h.type === FrameType.GoAway)
      expect(goAway?.length).toBe(GoAwayCode.ProtocolError)
    })
  }

  it('survives random frames: closes that session only, never throws', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 0, maxLength: 64 }), { maxLength: 12 }), async (chunks) => {
        const [a, b] = duplexPair()
        a.on('data', () => {})
        const server = Session.server(b, { enableKeepAlive: false })
        const accepted: YamuxStream[] = []
        void (async () => {
          for await (const s of server) {
            s.on('error', () => {})
            s.resume()
            accepted.push(s)
          }
        })()
        for (const c of chunks) a.write(Buffer.from(c))
        await new Promise((r) => setImmediate(r))
        await new Promise((r) => setImmediate(r))
        server.close()
        a.destroy()
        b.destroy()
        expect(server.isClosed).toBe(true)
      }),
      { numRuns: 200, seed: 42 },
    )
  })

  it('closes when the connection stays stuck past the write timeout, failing quietly', async () => {
    const clock = new SimClock()
    // A connection whose writes never complete.
    const stuck = new (await import('node:stream')).Duplex({ read() {}, write() {}, highWaterMark: 16 })
    const session = Session.client(stuck, { clock, enableKeepAlive: false, connectionWriteTimeoutMs: 1000 })
    cleanups.push(() => session.close())
    const stream = await session.open()
    stream.write(Buffer.alloc(1024))
    // Frames leave at the end of the tick; the timeout runs from that write.
    await new Promise((r) => process.nextTick(r))
    clock.advance(999)
    expect(session.isClosed).toBe(false)
    clock.advance(1)
    expect((session.closeReason as YamuxError).code).toBe('YAMUX_CONNECTION_WRITE_TIMEOUT')
    await new Promise((r) => setImmediate(r))
    expect(stream.destroyed).toBe(true)
  })

  it('rejects invalid options by name', () => {
    const [a] = duplexPair()
    expect(() => Session.client(a, { acceptBacklog: 0 })).toThrow(/acceptBacklog/)
    expect(() => Session.client(a, { maxStreamWindowSize: 1024 })).toThrow(/maxStreamWindowSize/)
  })

  it('fails streams with session shutdown when the connection drops', async () => {
    const [a, b] = await tcpPair()
    const [client, server] = sessions(a, b)
    const stream = await client.open()
    const failed = once(stream, 'error')
    await server.accept()
    b.destroy()
    const [err] = (await failed) as [YamuxError]
    expect(err).toBeInstanceOf(YamuxError)
    expect(client.isClosed).toBe(true)
  })
})
