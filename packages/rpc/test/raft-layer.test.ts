import { afterEach, describe, expect, it } from 'vitest'
import { outgoingWrapper } from '@nomadic/tls'
import type { Duplex } from 'node:stream'
import { RaftLayer } from '../src/index.js'
import { certs, startServer, tlsOf } from './helpers.js'

const stops: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop()
})

function firstData(conn: Duplex): Promise<string> {
  return new Promise((resolve) => conn.once('data', (d: Buffer) => resolve(d.toString())))
}

describe('RaftLayer (Raft on the RPC port)', () => {
  it('dials with 0x02 and delivers incoming 0x02 connections to the transport', async () => {
    const { server, addr } = await startServer()
    stops.push(() => server.stop())
    const layer = new RaftLayer(server, { advertise: addr })
    stops.push(() => layer.close())
    const accepted: Duplex[] = []
    layer.accept((conn) => {
      accepted.push(conn)
      conn.pipe(conn)
    })
    expect(layer.addr()).toBe(addr)
    const conn = await layer.dial(addr, 2000)
    conn.write('append-entries')
    expect(await firstData(conn)).toBe('append-entries')
    expect(accepted).toHaveLength(1)
    await layer.close()
    await expect(layer.dial(addr, 2000)).rejects.toThrow(/closed/)
  })

  it('dials over TLS as a server and is refused with a client certificate', async () => {
    const { server, addr } = await startServer({ tls: tlsOf(certs().server) })
    stops.push(() => server.stop())
    const asServer = new RaftLayer(server, { advertise: addr, tlsWrap: outgoingWrapper(tlsOf(certs().server)) })
    stops.push(() => asServer.close())
    asServer.accept((conn) => conn.pipe(conn))
    const conn = await asServer.dial(addr, 5000)
    conn.write('vote')
    expect(await firstData(conn)).toBe('vote')

    const asClient = new RaftLayer(server, { advertise: addr, tlsWrap: outgoingWrapper(tlsOf(certs().client)) })
    const refused = await asClient.dial(addr, 5000)
    refused.on('error', () => {})
    await new Promise<void>((resolve) => {
      refused.once('close', () => resolve())
      refused.resume()
    })
    await asClient.close()
  })
})
