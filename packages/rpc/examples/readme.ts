import { ConnPool, RpcServer } from '@nomadic/rpc'

// A server with two net/rpc methods and a streaming method, on 127.0.0.1 (any free port).
const server = new RpcServer({ region: 'global' })
server.endpoints.register('Status.Ping', () => ({}))
server.endpoints.register('Echo.Echo', (args) => {
  const { Value, N } = args as { Value: string; N: number }
  return { Value, N, Index: N + 1 }
})
server.streaming.register('Echo.Stream', (stream) => stream.pipe(stream))
const { port } = await server.listen(0, '127.0.0.1')
const addr = `127.0.0.1:${port}`

// A client pool: one yamux session (first byte 0x06) per server, a cached stream per call.
const pool = new ConnPool()
const reply = await pool.rpc('global', addr, 'Echo.Echo', { Value: 'hello', N: 41 })
const failure = await pool.rpc('global', addr, 'Job.Register', {}).catch((error: Error) => error.message)

// In-process calls use the same table without sockets.
const local = await server.endpoints.call('Echo.Echo', { Value: 'local', N: 1 })

// Streaming RPC: {Method} header, {Error} ack, then raw bytes both ways.
const stream = await pool.streamingRpc('global', addr, 'Echo.Stream')
stream.end('raw bytes')
const chunks: Buffer[] = []
for await (const chunk of stream) chunks.push(chunk as Buffer)

await pool.shutdown()
await server.stop()

export const result = { reply, failure, local, streamed: Buffer.concat(chunks).toString() }
// reply:    { Value: 'hello', N: 41, Index: 42 }
// failure:  "rpc error: rpc: can't find service Job.Register"
// local:    { Value: 'local', N: 1, Index: 2 }
// streamed: 'raw bytes'
