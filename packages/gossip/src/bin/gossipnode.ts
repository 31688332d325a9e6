#!/usr/bin/env node
// nomadic-gossipnode: one gossip node with a small HTTP API, for tests and experiments.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { StreamLogger } from '@nomadic/runtime'
import { Keyring } from '../security/keyring.js'
import { Memberlist } from '../memberlist.js'
import { NetTransport } from '../transport/net.js'
import { splitHostPort } from '../transport/transport.js'
import { decodeTags, encodeTags } from '../tags.js'
import type { Profile } from '../config.js'
import type { Node } from '../delegates.js'
import { parseFlags } from './args.js'

const usage = `usage: nomadic-gossipnode -layer memberlist|serf -name NAME -bind HOST:PORT -http HOST:PORT [-join HOST:PORT[,...]]
                   [-profile lan|wan|local] [-key BASE64] [-tag k=v]... [-snapshot FILE]`

interface GossipEvent { type: string; name: string; payload: string; members: string[] }

async function main(): Promise<void> {
  let flags: Map<string, string[]>
  try {
    flags = parseFlags(process.argv.slice(2), ['tag'])
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${usage}\n`)
    process.exit(2)
  }
  const flag = (n: string, d = ''): string => flags.get(n)?.[0] ?? d
  const layer = flag('layer', 'memberlist')
  if (layer !== 'memberlist') {
    process.stderr.write(`-layer ${layer} is not supported yet\n`)
    process.exit(2)
  }
  const name = flag('name')
  if (name === '') {
    process.stderr.write(`-name is required\n${usage}\n`)
    process.exit(2)
  }
  const bind = splitHostPort(flag('bind', '127.0.0.1:7946'))
  const http = splitHostPort(flag('http', '127.0.0.1:0'))
  const tags: Record<string, string> = {}
  for (const t of flags.get('tag') ?? []) {
    const eq = t.indexOf('=')
    if (eq > 0) tags[t.slice(0, eq)] = t.slice(eq + 1)
  }
  const key = flag('key')
  const events: GossipEvent[] = []
  const record = (type: string) => (n: Node): void => { events.push({ type, name: n.name, payload: '', members: [n.name] }) }
  const ml = new Memberlist({
    name,
    transport: new NetTransport({ bindAddr: bind.host, bindPort: bind.port }),
    profile: flag('profile', 'lan') as Profile,
    keyring: key === '' ? undefined : new Keyring([Buffer.from(key, 'base64')]),
    delegate: { nodeMeta: () => encodeTags(tags) },
    events: {
      notifyJoin: record('member-join'),
      notifyUpdate: record('member-update'),
      notifyLeave: (n) => record(n.state === 'left' ? 'member-leave' : 'member-failed')(n),
    },
    logger: process.env.GOSSIP_DEBUG !== undefined ? new StreamLogger('debug') : undefined,
  })
  await ml.start()
  const seeds = flag('join')
  if (seeds !== '') {
    try {
      await ml.join(seeds.split(','))
    } catch (err) {
      process.stderr.write(`join: ${(err as Error).message}\n`)
    }
  }

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (req.method === 'GET' && url.pathname === '/members') {
      json(res, 200, ml.members().filter((m) => m.state === 'alive').map((m) => ({
        name: m.name, addr: m.addr, port: m.port, status: 'alive', tags: decodeTags(m.meta),
      })))
    } else if (req.method === 'GET' && url.pathname === '/events') {
      json(res, 200, events)
    } else if (req.method === 'POST' && url.pathname === '/leave') {
      ml.leave(5_000).then(() => undefined, (err: Error) => err).then(async (err) => {
        await ml.shutdown()
        if (err !== undefined) json(res, 500, { error: err.message })
        else json(res, 200, {})
        server.close()
        setTimeout(() => process.exit(0), 100)
      })
    } else {
      json(res, 404, { error: 'not found' })
    }
  })
  server.listen(http.port, http.host, () => {
    const addr = server.address()
    const port = addr !== null && typeof addr === 'object' ? addr.port : http.port
    const me = ml.localNode()
    process.stdout.write(JSON.stringify({ gossip: `${me.addr}:${me.port}`, http: `${http.host}:${port}` }) + '\n')
  })
  const stop = (): void => { void ml.shutdown().then(() => process.exit(0)) }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`)
  process.exit(1)
})
