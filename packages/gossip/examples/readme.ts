import { Memberlist, NetTransport } from '@nomadic/gossip'

// Two members on loopback: b joins a, both see each other, then b leaves gracefully.
const a = await Memberlist.create({ name: 'a', transport: new NetTransport({ bindAddr: '127.0.0.1' }), profile: 'local' })
const b = await Memberlist.create({ name: 'b', transport: new NetTransport({ bindAddr: '127.0.0.1' }), profile: 'local' })
a.on('leave', (node) => console.log(`a saw ${node.name} ${node.state}`))

const seed = a.localNode()
await b.join([`${seed.addr}:${seed.port}`])
console.log('a sees', a.members().map((m) => m.name).sort().join(','))

await b.leave(1_000)
await b.shutdown()
await new Promise((resolve) => setTimeout(resolve, 200))
await a.shutdown()
