import { Duplex } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { decodeFirst } from '@nomadic/msgpack'
import { encodePair, RemoteError, RpcStreamClient } from '../src/index.js'

/** A stream whose requests are collected and whose replies the test pushes. */
function fakeServer(): { conn: Duplex; requests: Buffer[] } {
  const requests: Buffer[] = []
  const conn = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      requests.push(chunk)
      callback()
    },
  })
  return { conn, requests }
}

/** The sequence number in a request's header (the value before its body). */
const seqOf = (request: Buffer): number => (decodeFirst(request).value as { Seq: number }).Seq

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('RpcStreamClient', () => {
  it('sends queued calls one at a time, each after the previous reply', async () => {
    const { conn, requests } = fakeServer()
    const client = new RpcStreamClient(conn)
    const replies = [1, 2, 3].map((n) => client.call('Echo.Echo', { N: n }).then((value) => ({ value }), (error: Error) => ({ error })))
    await tick()
    expect(requests).toHaveLength(1)
    for (let i = 0; i < 3; i++) {
      const error = i === 1 ? 'failed' : ''
      conn.push(encodePair({ ServiceMethod: 'Echo.Echo', Seq: seqOf(requests[i]!), Error: error }, error === '' ? { N: i + 1 } : {}))
      await tick()
      expect(requests).toHaveLength(Math.min(i + 2, 3))
    }
    expect(await Promise.all(replies)).toEqual([{ value: { N: 1 } }, { error: new RemoteError('failed') }, { value: { N: 3 } }])
  })

  it('fails every queued call once the stream breaks, however many wait', async () => {
    const { conn } = fakeServer()
    conn.on('error', () => {})
    const client = new RpcStreamClient(conn)
    const calls = Array.from({ length: 20_000 }, () => client.call('Status.Ping', {}).then(() => 'ok', (error: Error) => error.message))
    conn.destroy(new Error('boom'))
    const outcomes = await Promise.all(calls)
    expect(new Set(outcomes)).toEqual(new Set(['boom']))
    expect(client.usable).toBe(false)
  })

  it('refuses a queued call whose signal fired while it waited, and goes on with the next', async () => {
    const { conn, requests } = fakeServer()
    const client = new RpcStreamClient(conn)
    const first = client.call('Status.Ping', {})
    const controller = new AbortController()
    const gaveUp = client.call('Status.Ping', {}, { signal: controller.signal }).catch((error: Error) => error.message)
    const third = client.call('Status.Ping', {})
    controller.abort(new Error('gave up'))
    await tick()
    conn.push(encodePair({ ServiceMethod: 'Status.Ping', Seq: seqOf(requests[0]!), Error: '' }, {}))
    expect(await first).toEqual({})
    expect(await gaveUp).toBe('gave up')
    await tick()
    expect(requests).toHaveLength(2)
    conn.push(encodePair({ ServiceMethod: 'Status.Ping', Seq: seqOf(requests[1]!), Error: '' }, {}))
    expect(await third).toEqual({})
  })
})
