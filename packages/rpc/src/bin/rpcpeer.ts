#!/usr/bin/env node
// nomadic-rpcpeer: a test and benchmark peer for Nomad's RPC protocol.
//
//   nomadic-rpcpeer -mode server -bind HOST:PORT [-tls-ca CA -tls-cert CERT -tls-key KEY]
//   nomadic-rpcpeer -mode client -addr HOST:PORT -proto direct|yamux|yamux2 [-tls-ca CA -tls-cert CERT
//                   -tls-key KEY -server-name server.global.nomad] -n N -conc C [-size BYTES] [-warmup N]
//
// The server prints `{"addr":"HOST:PORT"}` once listening and runs until SIGINT/SIGTERM.
// The client prints one JSON line of results and exits 1 when any call failed.
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { outgoingWrapper, TlsConfig, type RegionWrapper } from '@nomadic/tls'
import { Session } from '@nomadic/yamux'
import { RpcStreamClient } from '../client.js'
import { RpcType } from '../constants.js'
import { dialRpc } from '../dial.js'
import { RpcServer } from '../server.js'
import { echoDecode, registerPeerEndpoints } from './peer-endpoints.js'

type Flags = Record<string, string>

function parseFlags(argv: string[]): Flags {
  const flags: Flags = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (!arg.startsWith('-')) throw new Error(`unexpected argument ${arg}`)
    const name = arg.replace(/^-+/, '')
    const eq = name.indexOf('=')
    if (eq >= 0) flags[name.slice(0, eq)] = name.slice(eq + 1)
    else {
      const value = argv[++i]
      if (value === undefined) throw new Error(`flag -${name} needs a value`)
      flags[name] = value
    }
  }
  return flags
}

function tlsConfig(flags: Flags): TlsConfig | undefined {
  const ca = flags['tls-ca']
  if (ca === undefined) return undefined
  const cert = flags['tls-cert']
  const key = flags['tls-key']
  if (cert === undefined || key === undefined) throw new Error('-tls-ca needs -tls-cert and -tls-key')
  return new TlsConfig({
    enableRpc: true,
    verifyServerHostname: true,
    ca: readFileSync(ca, 'utf8'),
    cert: readFileSync(cert, 'utf8'),
    key: readFileSync(key, 'utf8'),
    sources: { ca, cert, key },
  })
}

function splitHostPort(addr: string): [string, number] {
  const colon = addr.lastIndexOf(':')
  if (colon < 0) throw new Error(`address ${addr} lacks a port`)
  return [addr.slice(0, colon).replace(/^\[|\]$/g, ''), Number(addr.slice(colon + 1))]
}

async function runServer(flags: Flags): Promise<void> {
  const [host, port] = splitHostPort(flags['bind'] ?? '127.0.0.1:0')
  const server = new RpcServer({ tls: tlsConfig(flags), region: 'global', maxConnsPerClient: 0 })
  registerPeerEndpoints(server.endpoints)
  const address = await server.listen(port, host)
  const hostText = address.family === 'IPv6' ? `[${address.address}]` : address.address
  process.stdout.write(`${JSON.stringify({ addr: `${hostText}:${address.port}` })}\n`)
  const stop = (): void => {
    void server.stop().then(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

/** A way to get one caller's RPC client under the chosen protocol. */
type ClientFactory = () => Promise<RpcStreamClient>

async function clientFactory(addr: string, proto: string, tlsWrap: RegionWrapper | undefined, region: string): Promise<{ make: ClientFactory; close: () => void }> {
  const opened: Array<{ destroy(): void }> = []
  if (proto === 'direct') {
    return {
      make: async () => {
        const { conn, socket } = await dialRpc(addr, { tlsWrap, region })
        opened.push(socket)
        conn.write(Buffer.from([RpcType.Nomad]))
        return new RpcStreamClient(conn)
      },
      close: () => opened.forEach((s) => s.destroy()),
    }
  }
  if (proto !== 'yamux' && proto !== 'yamux2') throw new Error(`-proto must be direct, yamux or yamux2, not ${proto}`)
  const { conn, socket } = await dialRpc(addr, { tlsWrap, region })
  conn.write(Buffer.from([proto === 'yamux' ? RpcType.Multiplex : RpcType.MultiplexV2]))
  const session = Session.client(conn)
  return {
    make: async () => {
      const stream = await session.open()
      if (proto === 'yamux2') stream.write(Buffer.from([RpcType.Nomad]))
      return new RpcStreamClient(stream)
    },
    close: () => {
      session.close()
      socket.destroy()
    },
  }
}

async function runClient(flags: Flags): Promise<number> {
  const addr = flags['addr']
  if (addr === undefined) throw new Error('-addr is required')
  const proto = flags['proto'] ?? 'yamux2'
  const total = Number(flags['n'] ?? '1000')
  const conc = Math.max(1, Number(flags['conc'] ?? '1'))
  const size = Number(flags['size'] ?? '0')
  const warmup = Number(flags['warmup'] ?? '0')
  const tls = tlsConfig(flags)
  const serverName = flags['server-name'] ?? 'server.global.nomad'
  const region = serverName.split('.')[1] ?? 'global'
  const tlsWrap = tls === undefined ? undefined : outgoingWrapper(tls)
  const factory = await clientFactory(addr, proto, tlsWrap, region)
  let errors = 0
  const latencies: number[] = []
  try {
    // The checks first: a ping, and a failing call whose text must come back exactly.
    const first = await factory.make()
    await first.call('Status.Ping', {})
    try {
      await first.call('Echo.Fail', { Value: 'boom' })
      errors++
    } catch (error) {
      if ((error as Error).message !== 'echo failure: boom') errors++
    }
    first.close()

    const data = Buffer.alloc(size)
    for (let i = 0; i < size; i++) data[i] = (i * 7 + 3) & 0xff
    // Every caller's stream is opened before the clock starts. A warm-up phase of the same calls
    // comes first when asked for (the bench gives both implementations the same one), untimed.
    const clients = await Promise.all(Array.from({ length: conc }, () => factory.make()))
    const phase = async (count: number, record: boolean): Promise<void> => {
      let next = 0
      await Promise.all(clients.map(async (client) => {
        for (;;) {
          const n = next++
          if (n >= count) break
          const t0 = performance.now()
          try {
            const reply = (await client.call('Echo.Echo', { Region: 'global', Value: `v${n}`, Data: data, N: n }, { decode: echoDecode })) as Record<string, unknown>
            const ok = reply['Value'] === `v${n}` && reply['N'] === n && reply['Index'] === n + 1 && Buffer.isBuffer(reply['Data']) && (reply['Data'] as Buffer).equals(data)
            if (!ok) errors++
          } catch {
            errors++
          }
          if (record) latencies.push((performance.now() - t0) * 1000)
        }
      }))
    }
    if (warmup > 0) await phase(warmup, false)
    const start = performance.now()
    await phase(total, true)
    for (const client of clients) client.close()
    const secs = (performance.now() - start) / 1000
    latencies.sort((a, b) => a - b)
    const pct = (p: number): number => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0)
    const line = {
      proto,
      tls: tls !== undefined,
      calls: total,
      errors,
      secs: Number(secs.toFixed(3)),
      callsPerSec: Math.round(total / secs),
      p50us: pct(0.5),
      p99us: pct(0.99),
    }
    process.stdout.write(`${JSON.stringify(line)}\n`)
  } finally {
    factory.close()
  }
  return errors === 0 ? 0 : 1
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2))
  const mode = flags['mode']
  if (mode === 'server') return runServer(flags)
  if (mode === 'client') {
    process.exitCode = await runClient(flags)
    return
  }
  throw new Error('-mode must be server or client')
}

main().catch((error: unknown) => {
  process.stderr.write(`nomadic-rpcpeer: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(2)
})
