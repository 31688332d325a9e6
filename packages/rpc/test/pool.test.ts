import { afterEach, describe, expect, it } from 'vitest'
import { SimClock } from '@nomadic/runtime'
import { outgoingWrapper } from '@nomadic/tls'
import { ConnPool, RemoteError, RpcError, codedErrorMessage } from '../src/index.js'
import { certs, startServer, tlsOf, waitFor, readText } from './helpers.js'

const stops: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop()
})

async function server(options: Parameters<typeof startServer>[0] = {}): ReturnType<typeof startServer> {
  const started = await startServer(options)
  started.server.endpoints.register('Coded.Fail', () => {
    throw new Error(codedErrorMessage(404, 'job not found'))
  })
  stops.push(() => started.server.stop())
  return started
}

function pool(options: ConstructorParameters<typeof ConnPool>[0] = {}): ConnPool {
  const p = new ConnPool(options)
  stops.push(() => p.shutdown())
  return p
}

describe('ConnPool', () => {
  it('uses one yamux session per server for many concurrent calls, and reuses streams', async () => {
    const { server: srv, addr } = await server()
    const p = pool()
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => p.rpc('global', addr, 'Echo.Echo', { Value: `c${i}`, N: i })))
    expect(replies.map((r) => (r as { Index: number }).Index)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
    expect(p.size).toBe(1)
    expect(srv.connectionCount).toBe(1)
    await p.rpc('global', addr, 'Status.Ping', {})
    expect(srv.connectionCount).toBe(1)
  })

  it("wraps server errors in Nomad's text and passes coded errors through", async () => {
    const { addr } = await server()
    const p = pool()
    await expect(p.rpc('global', addr, 'Echo.Fail', { Value: 'v' })).rejects.toThrow(new RemoteError('rpc error: echo failure: v'))
    await expect(p.rpc('global', addr, 'Coded.Fail', {})).rejects.toThrow(/^RPC Error:: 404,job not found$/)
    // The stream stays in sync after a server error.
    expect(await p.rpc('global', addr, 'Status.Ping', {})).toEqual({})
  })

  it('reports dial failures as "rpc error: failed to get conn: dial tcp …"', async () => {
    const p = pool({ dialTimeoutMs: 2000 })
    const error = (await p.rpc('global', '127.0.0.1:1', 'Status.Ping', {}).catch((e: unknown) => e)) as RpcError
    expect(error).toBeInstanceOf(RpcError)
    expect(error.message).toMatch(/^rpc error: failed to get conn: dial tcp 127\.0\.0\.1:1: .*ECONNREFUSED/)
  })

  it('keeps at most maxStreams idle streams', async () => {
    const { addr } = await server()
    const p = pool({ maxStreams: 2 })
    await Promise.all(Array.from({ length: 10 }, () => p.rpc('global', addr, 'Status.Ping', {})))
    const conn = (p as unknown as { pool: Map<string, { clients: unknown[] }> }).pool.get(addr)!
    expect(conn.clients.length).toBe(2)
  })

  it('reaps sessions idle for maxTime (simulated clock)', async () => {
    const clock = new SimClock()
    const { server: srv, addr } = await server()
    const p = pool({ clock, yamux: { enableKeepAlive: false }, maxTimeMs: 120_000 })
    await p.rpc('global', addr, 'Status.Ping', {})
    clock.advance(119_000)
    expect(p.size).toBe(1)
    clock.advance(2_000)
    expect(p.size).toBe(0)
    await waitFor(() => srv.connectionCount === 0)
    await p.rpc('global', addr, 'Status.Ping', {})
    expect(p.size).toBe(1)
  })

  it('redials after the server side dropped the session', async () => {
    const first = await server()
    const p = pool()
    await p.rpc('global', first.addr, 'Status.Ping', {})
    await first.server.stop()
    await waitFor(() => p.size === 0)
    await expect(p.rpc('global', first.addr, 'Status.Ping', {})).rejects.toThrow(/^rpc error: failed to get conn/)
  })

  it('opens streaming RPCs on the session', async () => {
    const { addr } = await server()
    const p = pool()
    const stream = await p.streamingRpc('global', addr, 'Echo.Stream')
    stream.end('stream me')
    expect(await readText(stream)).toBe('stream me')
    await expect(p.streamingRpc('global', addr, 'Nope')).rejects.toThrow('Unknown rpc method: "Nope"')
  })

  it('speaks TLS through the region wrapper, and uses new certificates after reloadTls', async () => {
    const { addr } = await server({ tls: tlsOf(certs().server) })
    const p = pool({ tlsWrap: outgoingWrapper(tlsOf(certs().client)) })
    expect(await p.rpc('global', addr, 'Status.Ping', {})).toEqual({})
    // A certificate of another region: the next session is refused by the server.
    p.reloadTls(outgoingWrapper(tlsOf(certs().clientEast)))
    expect(p.size).toBe(0)
    await expect(p.rpc('global', addr, 'Status.Ping', {})).rejects.toThrow(/^rpc error:/)
    p.reloadTls(outgoingWrapper(tlsOf(certs().client)))
    expect(await p.rpc('global', addr, 'Status.Ping', {})).toEqual({})
  })

  it('aborts a call with its signal, and the next call still works', async () => {
    const { server: srv, addr } = await server()
    srv.endpoints.register('Slow.Hang', () => new Promise(() => {}))
    const p = pool()
    const controller = new AbortController()
    const hanging = p.rpc('global', addr, 'Slow.Hang', {}, { signal: controller.signal })
    setTimeout(() => controller.abort(new Error('caller gave up')), 20)
    await expect(hanging).rejects.toMatchObject({ code: 'RPC_ABORTED' })
    expect(await p.rpc('global', addr, 'Status.Ping', {})).toEqual({})
  })

  it('fails calls after shutdown', async () => {
    const { addr } = await server()
    const p = pool()
    await p.rpc('global', addr, 'Status.Ping', {})
    await p.shutdown()
    await p.shutdown()
    await expect(p.rpc('global', addr, 'Status.Ping', {})).rejects.toThrow(/shutdown/)
  })
})
