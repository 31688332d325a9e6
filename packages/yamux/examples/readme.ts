import { createServer, connect } from 'node:net'
import { once } from 'node:events'
import { Session } from '@nomadic/yamux'

// A server that echoes every stream back, and a client that opens three streams on one socket.
const server = createServer((socket) => {
  const session = Session.server(socket)
  void (async () => {
    for await (const stream of session) stream.pipe(stream)
  })()
})
server.listen(0, '127.0.0.1')
await once(server, 'listening')
const { port } = server.address() as { port: number }

const socket = connect(port, '127.0.0.1')
const client = Session.client(socket)
const replies = await Promise.all(
  ['one', 'two', 'three'].map(async (word) => {
    const stream = await client.open()
    stream.end(word)
    const chunks: Buffer[] = []
    for await (const chunk of stream) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString()
  }),
)
client.close()
server.close()

export const result = { replies }
