import { afterEach, describe, expect, it } from 'vitest'
import { noopLogger } from '@nomadic/runtime'
import { Session } from '@nomadic/yamux'
import {
  dialRpc,
  EndpointRegistry,
  RpcStreamClient,
  RpcType,
  serveSession,
  sessionRpc,
  sessionStreamingRpc,
  StreamingRegistry,
} from '../src/index.js'
import { startServer, readText } from './helpers.js'

const stops: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop()
})

describe('reverse RPC over the session a client opened (NodeRpc)', () => {
  it('lets the server call the client back on the inbound 0x06 session', async () => {
    const { server, addr } = await startServer()
    stops.push(() => server.stop())
    const nodeSessions = new Map<string, Session>()
    server.endpoints.register('Node.Register', (args, ctx) => {
      nodeSessions.set((args as { NodeID: string }).NodeID, ctx.session!)
      return { Index: 1 }
    })

    // The "client agent": dials with 0x06 and serves what the server asks of it on the same session.
    const { conn, socket } = await dialRpc(addr)
    stops.push(() => {
      socket.destroy()
    })
    conn.write(Buffer.from([RpcType.MultiplexV2]))
    const session = Session.client(conn)
    stops.push(() => session.close())
    const clientEndpoints = new EndpointRegistry().register('ClientStats.Stats', () => ({ CPU: 42 }))
    const clientStreaming = new StreamingRegistry().register('FileSystem.Logs', (stream) => stream.end('log line\n'))
    void serveSession(session, { remoteAddress: addr, tls: false }, {
      endpoints: clientEndpoints,
      streaming: clientStreaming,
      logger: noopLogger,
      maxMessageBytes: 1 << 20,
      perStreamByte: true,
    })

    const stream = await session.open()
    stream.write(Buffer.from([RpcType.Nomad]))
    expect(await new RpcStreamClient(stream).call('Node.Register', { NodeID: 'node-1' })).toEqual({ Index: 1 })

    const toNode = nodeSessions.get('node-1')!
    expect(await sessionRpc(toNode, 'ClientStats.Stats', {})).toEqual({ CPU: 42 })
    await expect(sessionRpc(toNode, 'ClientStats.Nope', {})).rejects.toThrow("rpc: can't find method ClientStats.Nope")
    const logs = await sessionStreamingRpc(toNode, 'FileSystem.Logs')
    expect(await readText(logs)).toBe('log line\n')
  })
})
