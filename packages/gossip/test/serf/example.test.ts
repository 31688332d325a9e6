import { describe, expect, it } from 'vitest'
import { NetTransport, Serf, type SerfEvent } from '../../src/index.js'

// The code of the serf example in docs/serf.md and the README's "Serf layer" section, with
// console.log replaced by collecting the lines.
async function example(log: (line: string) => void): Promise<void> {
  const a = await Serf.create({ name: 'a', transport: new NetTransport({ bindAddr: '127.0.0.1' }), profile: 'local', tags: { role: 'server' } })
  const b = await Serf.create({ name: 'b', transport: new NetTransport({ bindAddr: '127.0.0.1' }), profile: 'local', tags: { role: 'client' } })
  b.on('event', (e: SerfEvent) => {
    if (e.type === 'query') e.query.respond(Buffer.from(`b has ${e.query.payload.toString()}`))
  })

  const seed = a.memberlist.localNode()
  await b.join([`${seed.addr}:${seed.port}`])
  log(a.members().map((m) => `${m.name} ${m.status} ${m.tags.role}`).join(', '))

  // Ask the clients; the answers come back until the timeout.
  const q = a.query('status', Buffer.from('v1'), { filterTags: { role: '^client$' }, timeout: 500 })
  await q.done
  log([...q.responses].map(([from, payload]) => `${from}: ${payload.toString()}`).join(', '))

  await b.leave()
  await b.shutdown()
  log(`a sees b ${a.members().find((m) => m.name === 'b')?.status}`)
  await a.shutdown()
}

describe('serf example', () => {
  it('runs on loopback and prints what the docs say', async () => {
    const lines: string[] = []
    await example((l) => lines.push(l))
    expect(lines).toEqual(['a alive server, b alive client', 'b: b has v1', 'a sees b left'])
  }, 20_000)
})
