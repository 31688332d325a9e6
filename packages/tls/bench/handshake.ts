// Loopback mutual-TLS handshakes per second with the role and region check: nomadic
// (TlsAcceptor + outgoingWrapper) and Go's crypto/tls doing the same (the interop peer's bench
// mode, test/interop/go/peer.go),
// on certificates made here; plus the time to make a certificate. Prints one JSON line.
// Usage: npm run bench -w @nomadic/tls [-- <handshakes>]
import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TlsAcceptor, createAgentCertificate, createCa, loadTlsConfig, outgoingWrapper } from '../src/index.js'

const count = Number(process.argv[2] ?? 300)
const here = dirname(fileURLToPath(import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'nomadic-tls-bench-'))

function time<T>(fn: () => T): [T, number] {
  const start = performance.now()
  const result = fn()
  return [result, performance.now() - start]
}

const [ca, caMs] = time(() => createCa())
writeFileSync(join(dir, 'nomad-agent-ca.pem'), ca.cert)
let certMs = 0
for (const role of ['server', 'client'] as const) {
  const [pair, ms] = time(() => createAgentCertificate({ ca, role }))
  certMs += ms / 2
  writeFileSync(join(dir, `global-${role}-nomad.pem`), pair.cert)
  writeFileSync(join(dir, `global-${role}-nomad-key.pem`), pair.key)
}
const block = (name: string) => ({
  enableRpc: true,
  verifyServerHostname: true,
  caFile: join(dir, 'nomad-agent-ca.pem'),
  certFile: join(dir, `${name}.pem`),
  keyFile: join(dir, `${name}-key.pem`),
})

async function nodeHandshakes(): Promise<number> {
  const acceptor = new TlsAcceptor(await loadTlsConfig(block('global-server-nomad')), { region: 'global' })
  const wrap = outgoingWrapper(await loadTlsConfig(block('global-client-nomad')))
  const server = createServer((raw) => {
    raw.on('error', () => undefined)
    acceptor.accept(raw).then(
      (secure) => {
        secure.on('error', () => undefined)
        secure.pipe(secure)
      },
      () => undefined,
    )
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  const start = performance.now()
  for (let i = 0; i < count; i++) {
    const raw = createConnection({ host: '127.0.0.1', port })
    await once(raw, 'connect')
    const secure = await wrap('global', raw)
    // one byte round trip: the server has judged our certificate by then
    secure.write(Buffer.from([1]))
    await once(secure, 'data')
    secure.destroy()
  }
  const seconds = (performance.now() - start) / 1000
  server.close()
  return count / seconds
}

function goHandshakes(): number | null {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' })
  } catch {
    return null
  }
  const bin = join(here, 'bin')
  mkdirSync(bin, { recursive: true })
  execFileSync('go', ['build', '-o', join(bin, 'peer'), join(here, '..', 'test', 'interop', 'go', 'peer.go')], {
    env: { ...process.env, GO111MODULE: 'off' },
    stdio: 'ignore',
  })
  const out = JSON.parse(execFileSync(join(bin, 'peer'), ['bench', dir, String(count)], { encoding: 'utf8' })) as {
    handshakes: number
    seconds: number
  }
  return out.handshakes / out.seconds
}

try {
  const node = await nodeHandshakes()
  const go = goHandshakes()
  const round = (value: number): number => Math.round(value * 10) / 10
  process.stdout.write(
    JSON.stringify({
      bench: 'tls-handshake',
      handshakes: count,
      nodeHandshakesPerSecond: round(node),
      goHandshakesPerSecond: go === null ? null : round(go),
      nodeToGoRatio: go === null ? null : Math.round((node / go) * 100) / 100,
      createCaMs: round(caMs),
      createCertificateMs: round(certMs),
    }) + '\n',
  )
} finally {
  rmSync(dir, { recursive: true, force: true })
}
