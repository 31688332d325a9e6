import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { encode } from '@nomadic/msgpack'
import { SimClock } from '@nomadic/runtime'
import { AcceptBackoff, ConnLimiter, EndpointRegistry, EOF, MessageReader, readValue, RemoteError, RpcServer, type Listener } from '../src/index.js'
import type { Duplex } from 'node:stream'
import { readText } from './helpers.js'

describe('EndpointRegistry (in-process calls)', () => {
  it('calls handlers without sockets and fails with net/rpc texts', async () => {
    const endpoints = new EndpointRegistry()
    endpoints.register('Status.Ping', () => ({}))
    endpoints.register('Status.Leader', async () => '10.0.0.1:4647')
    endpoints.register('Status.Fail', () => {
      throw new Error('No cluster leader')
    })
    expect(await endpoints.call('Status.Leader', {})).toBe('10.0.0.1:4647')
    await expect(endpoints.call('Status.Fail', {})).rejects.toThrow(new RemoteError('No cluster leader'))
    await expect(endpoints.call('Status.Nope', {})).rejects.toThrow("rpc: can't find method Status.Nope")
    await expect(endpoints.call('Job.Register', {})).rejects.toThrow("rpc: can't find service Job.Register")
    await expect(endpoints.call('NoDot', {})).rejects.toThrow('rpc: service/method request ill-formed: NoDot')
    expect(() => endpoints.register('bad', () => 1)).toThrow(/Service\.Method/)
  })
})

describe('MessageReader', () => {
  it('splits back-to-back values however the bytes are chunked', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 40 }), async (cuts) => {
        const values = [{ ServiceMethod: 'A.B', Seq: 1 }, { Data: 'x'.repeat(300) }, [1, 2, 3], 'tail']
        const bytes = Buffer.concat(values.map((v) => encode(v)))
        const stream = new PassThrough()
        const reader = new MessageReader(stream as unknown as Duplex)
        let at = 0
        for (const cut of cuts) {
          if (at >= bytes.length) break
          stream.write(bytes.subarray(at, at + cut * 13))
          at += cut * 13
        }
        if (at < bytes.length) stream.write(bytes.subarray(at))
        stream.end()
        const got = []
        for (;;) {
          const v = await reader.read()
          if (v === EOF) break
          got.push(v)
        }
        expect(got).toEqual(values)
      }),
      { numRuns: 50, seed: 3 },
    )
  })

  it('stops reading when the peer runs more than 256 KiB ahead, and reads on when asked', async () => {
    const stream = new PassThrough({ highWaterMark: 1024 })
    const reader = new MessageReader(stream as unknown as Duplex)
    const value = encode({ Data: 'x'.repeat(1000) })
    for (let i = 0; i < 400; i++) stream.write(value)
    await new Promise((r) => setImmediate(r))
    expect(stream.isPaused()).toBe(true)
    for (let i = 0; i < 400; i++) expect(await reader.read()).toEqual({ Data: 'x'.repeat(1000) })
  })

  it('refuses a value that would need more than maxBytes', async () => {
    const stream = new PassThrough()
    const reader = new MessageReader(stream as unknown as Duplex, 100)
    stream.write(Buffer.from([0xdb, 0, 0, 1, 0]))
    await expect(reader.read()).rejects.toMatchObject({ code: 'RPC_MESSAGE_TOO_LARGE' })
  })

  it('reports a stream that ends inside a value', async () => {
    const stream = new PassThrough()
    const reader = new MessageReader(stream as unknown as Duplex)
    stream.end(Buffer.from([0x82, 0xa1]))
    await expect(reader.read()).rejects.toMatchObject({ code: 'RPC_CONNECTION_CLOSED' })
  })
})

describe('MessageReader.readPair (net/rpc header and body)', () => {
  it('reads a header and its body in one go, the body as the header says', async () => {
    const stream = new PassThrough()
    const reader = new MessageReader(stream as unknown as Duplex)
    const bytes = Buffer.concat([encode({ Seq: 1, Error: '' }), encode({ Data: 'abc' }), encode({ Seq: 2, Error: 'no' }), encode({ Data: 'abc' })])
    // One byte at a time: the pair resolves only once both values are whole.
    for (const b of bytes) stream.write(Buffer.from([b]))
    const bytesUnlessError = (header: unknown) => ((header as { Error: string }).Error === '' ? { bytesKeys: new Set(['Data']) } : undefined)
    expect(await reader.readPair(undefined, bytesUnlessError)).toEqual([{ Seq: 1, Error: '' }, { Data: Buffer.from('abc') }])
    expect(await reader.readPair(undefined, bytesUnlessError)).toEqual([{ Seq: 2, Error: 'no' }, { Data: 'abc' }])
    stream.end()
    expect(await reader.readPair(undefined, bytesUnlessError)).toBe(EOF)
  })

  it('fails when the stream ends between header and body, or the header is refused', async () => {
    const cut = new PassThrough()
    cut.end(encode({ Seq: 1 }))
    await expect(new MessageReader(cut as unknown as Duplex).readPair(undefined, () => undefined)).rejects.toMatchObject({ code: 'RPC_CONNECTION_CLOSED', message: 'unexpected EOF' })
    const refused = new PassThrough()
    refused.write(encode('not a map'))
    const refuse = (): undefined => {
      throw new RemoteError('refused')
    }
    await expect(new MessageReader(refused as unknown as Duplex).readPair(undefined, refuse)).rejects.toThrow('refused')
  })
})

describe('readValue (streaming RPC headers)', () => {
  it('leaves the bytes after the value in the stream even when its end has arrived', async () => {
    const stream = new PassThrough()
    stream.end(Buffer.concat([encode({ Error: '' }), Buffer.from('raw tail')]))
    expect(await readValue(stream as unknown as Duplex)).toEqual({ Error: '' })
    expect(await readText(stream)).toBe('raw tail')
  })

  it('waits for a value split across writes, and reports EOF and garbage', async () => {
    const split = new PassThrough()
    const value = readValue(split as unknown as Duplex)
    const bytes = encode({ Method: 'Agent.Monitor' })
    split.write(bytes.subarray(0, 3))
    setImmediate(() => split.write(bytes.subarray(3)))
    expect(await value).toEqual({ Method: 'Agent.Monitor' })
    const empty = new PassThrough()
    empty.end()
    expect(await readValue(empty as unknown as Duplex)).toBe(EOF)
    const garbage = new PassThrough()
    garbage.end(Buffer.from([0xc1]))
    await expect(readValue(garbage as unknown as Duplex)).rejects.toMatchObject({ code: 'RPC_MALFORMED' })
  })
})

describe('limits and backoff', () => {
  it('counts connections per IP', () => {
    const limiter = new ConnLimiter(2)
    const a = limiter.acquire('1.1.1.1')!
    limiter.acquire('1.1.1.1')
    expect(limiter.acquire('1.1.1.1')).toBeUndefined()
    expect(limiter.acquire('2.2.2.2')).toBeDefined()
    a()
    a()
    expect(limiter.count('1.1.1.1')).toBe(1)
  })

  it('backs off 5 ms doubling, capped at 1 s for temporary errors and 5 s otherwise', () => {
    const temp = new AcceptBackoff()
    const tempDelays = Array.from({ length: 10 }, () => temp.next(Object.assign(new Error('x'), { code: 'EMFILE' })))
    expect(tempDelays).toEqual([5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000])
    const perm = new AcceptBackoff()
    const permDelays = Array.from({ length: 13 }, () => perm.next(new Error('boom')))
    expect(permDelays.slice(-3)).toEqual([5000, 5000, 5000])
    perm.reset()
    expect(perm.next(new Error('again'))).toBe(5)
  })

  it("waits out the backoff on the server's clock before accepting again", async () => {
    const clock = new SimClock()
    const server = new RpcServer({ clock })
    let calls = 0
    let closeListener!: () => void
    const listener: Listener = {
      accept: () => {
        calls++
        return Promise.reject(Object.assign(new Error('too many open files'), { code: 'EMFILE' }))
      },
      close: () => closeListener?.(),
      closed: new Promise<void>((resolve) => (closeListener = resolve)),
    }
    const serving = server.serve(listener)
    await new Promise((r) => setImmediate(r))
    expect(calls).toBe(1)
    await clock.advanceAsync(4)
    expect(calls).toBe(1)
    await clock.advanceAsync(1)
    expect(calls).toBe(2)
    await clock.advanceAsync(10)
    expect(calls).toBe(3)
    await server.stop()
    await serving
  })
})
