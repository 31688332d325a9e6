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
import { Serf } from '../serf/serf.js'
import { KeyManager, type KeyResponse } from '../serf/key-manager.js'

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
  if (layer !== 'memberlist' && layer !== 'serf') {
    process.stderr.write(`-layer must be memberlist or serf\n${usage}\n`)
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
  const keyring = key === '' ? undefined : new Keyring([Buffer.from(key, 'base64')])
  const transport = new NetTransport({ bindAddr: bind.host, bindPort: bind.port })
  const profile = flag('profile', 'lan') as Profile
  const logger = process.env.GOSSIP_DEBUG !== undefined ? new StreamLogger('debug') : undefined
  const seeds = flag('join')
  const app = layer === 'serf'
    ? await serfApp({ name, transport, profile, keyring, logger, tags, snapshot: flag('snapshot'), seeds })
    : await memberlistApp({ name, transport, profile, keyring, logger, tags, seeds })

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (d: Buffer) => chunks.push(d))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x')
      app.handle(req.method ?? 'GET', url, Buffer.concat(chunks)).then(
        (reply) => {
          json(res, reply.status ?? 200, reply.body)
          if (reply.exit === true) {
            server.close()
            setTimeout(() => process.exit(0), 100)
          }
        },
        (err: Error) => json(res, 500, { error: err.message }),
      )
    })
  })
  server.listen(http.port, http.host, () => {
    const addr = server.address()
    const port = addr !== null && typeof addr === 'object' ? addr.port : http.port
    process.stdout.write(JSON.stringify({ gossip: app.gossipAddress(), http: `${http.host}:${port}` }) + '\n')
  })
  const stop = (): void => { void app.shutdown().then(() => process.exit(0)) }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

interface Reply { status?: number; body: unknown; exit?: boolean }
interface App {
  handle(method: string, url: URL, body: Buffer): Promise<Reply>
  gossipAddress(): string
  shutdown(): Promise<void>
}
interface AppOptions {
  name: string
  transport: NetTransport
  profile: Profile
  keyring: Keyring | undefined
  logger: StreamLogger | undefined
  tags: Record<string, string>
  seeds: string
}

const notFound: Reply = { status: 404, body: { error: 'not found' } }

/** Joins the comma-separated seeds, if any; a failed join is reported and the node stays up alone. */
async function joinSeeds(seeds: string, join: (addresses: string[]) => Promise<number>): Promise<void> {
  if (seeds === '') return
  try {
    await join(seeds.split(','))
  } catch (err) {
    process.stderr.write(`join: ${(err as Error).message}\n`)
  }
}

/** POST /leave: leaves gracefully, shuts down, then the process exits (after the reply). */
async function leaveAndExit(leave: () => Promise<void>, shutdown: () => Promise<void>): Promise<Reply> {
  const err = await leave().then(() => undefined, (e: Error) => e)
  await shutdown()
  return err === undefined ? { body: {}, exit: true } : { status: 500, body: { error: err.message }, exit: true }
}

async function memberlistApp(o: AppOptions): Promise<App> {
  const events: GossipEvent[] = []
  const record = (type: string) => (n: Node): void => { events.push({ type, name: n.name, payload: '', members: [n.name] }) }
  const ml = new Memberlist({
    name: o.name, transport: o.transport, profile: o.profile, keyring: o.keyring, logger: o.logger,
    delegate: { nodeMeta: () => encodeTags(o.tags) },
    events: {
      notifyJoin: record('member-join'),
      notifyUpdate: record('member-update'),
      notifyLeave: (n) => record(n.state === 'left' ? 'member-leave' : 'member-failed')(n),
    },
  })
  await ml.start()
  await joinSeeds(o.seeds, (seeds) => ml.join(seeds))
  return {
    gossipAddress: () => `${ml.localNode().addr}:${ml.localNode().port}`,
    shutdown: () => ml.shutdown(),
    async handle(method, url) {
      if (method === 'GET' && url.pathname === '/members') {
        return { body: ml.members().filter((m) => m.state === 'alive').map((m) => ({ name: m.name, addr: m.addr, port: m.port, status: 'alive', tags: decodeTags(m.meta) })) }
      }
      if (method === 'GET' && url.pathname === '/events') return { body: events }
      if (method === 'POST' && url.pathname === '/leave') {
        return leaveAndExit(() => ml.leave(5_000), () => ml.shutdown())
      }
      return notFound
    },
  }
}

function durationEnv(name: string): number | undefined {
  const v = process.env[name]
  return v === undefined ? undefined : Number(v)
}

async function serfApp(o: AppOptions & { snapshot: string }): Promise<App> {
  const events: GossipEvent[] = []
  const serf = new Serf({
    name: o.name, transport: o.transport, profile: o.profile, keyring: o.keyring, logger: o.logger, tags: o.tags,
    snapshotPath: o.snapshot === '' ? undefined : o.snapshot,
    rejoinAfterLeave: true,
    reapInterval: durationEnv('GOSSIP_REAP_INTERVAL'),
    reconnectTimeout: durationEnv('GOSSIP_RECONNECT_TIMEOUT'),
    tombstoneTimeout: durationEnv('GOSSIP_TOMBSTONE_TIMEOUT'),
  })
  serf.on('event', (e) => {
    if (e.type === 'user') {
      events.push({ type: 'user', name: e.name, payload: e.payload.toString(), members: [] })
    } else if (e.type === 'query') {
      events.push({ type: 'query', name: e.query.name, payload: e.query.payload.toString(), members: [] })
      try {
        e.query.respond(Buffer.from(`ack:${o.name}:${e.query.payload.toString()}`))
      } catch {
        // past its deadline
      }
    } else {
      events.push({ type: e.type, name: e.members[0]?.name ?? '', payload: '', members: e.members.map((m) => m.name) })
    }
  })
  await serf.start()
  await joinSeeds(o.seeds, (seeds) => serf.join(seeds, true))
  const keys = new KeyManager(serf)
  const keyReply = (r: KeyResponse): Reply => ({ body: { error: r.error ?? '', numNodes: r.numNodes, numResp: r.numResp, numErr: r.numErr, keys: r.keys } })
  return {
    gossipAddress: () => `${serf.localMember().addr}:${serf.localMember().port}`,
    shutdown: () => serf.shutdown(),
    async handle(method, url, body) {
      const p = url.pathname
      if (method === 'GET' && p === '/members') {
        return { body: serf.members().map((m) => ({ name: m.name, addr: m.addr, port: m.port, status: m.status, tags: m.tags })) }
      }
      if (method === 'GET' && p === '/events') return { body: events }
      if (method === 'POST' && p === '/event') {
        serf.userEvent(url.searchParams.get('name') ?? '', body, url.searchParams.get('coalesce') === '1')
        return { body: {} }
      }
      if (method === 'POST' && p === '/query') {
        const q = serf.query(url.searchParams.get('name') ?? '', body, { timeout: 3_000 })
        await q.done
        const responses: Record<string, string> = {}
        for (const [from, payload] of q.responses) responses[from] = payload.toString()
        return { body: { responses } }
      }
      if (method === 'POST' && p === '/tags') {
        await serf.setTags(Object.fromEntries(url.searchParams))
        return { body: {} }
      }
      if (method === 'GET' && p === '/keys') return keyReply(await keys.listKeys())
      if (method === 'POST' && p.startsWith('/keys/')) {
        const key = url.searchParams.get('key') ?? ''
        const op = p.slice(6)
        if (op === 'install') return keyReply(await keys.installKey(key))
        if (op === 'use') return keyReply(await keys.useKey(key))
        if (op === 'remove') return keyReply(await keys.removeKey(key))
      }
      if (method === 'POST' && p === '/leave') {
        return leaveAndExit(() => serf.leave(), () => serf.shutdown())
      }
      return notFound
    },
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`)
  process.exit(1)
})
