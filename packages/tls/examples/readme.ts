import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TlsAcceptor, createAgentCertificate, createCa, loadTlsConfig, outgoingWrapper } from '@nomadic/tls'

// 1. A CA and agent certificates, as `nomadic-tls ca create` / `nomadic-tls cert create` make them.
const dir = mkdtempSync(join(tmpdir(), 'nomadic-tls-example-'))
const ca = createCa()
writeFileSync(join(dir, 'nomad-agent-ca.pem'), ca.cert)
for (const [role, region] of [['server', 'global'], ['client', 'global'], ['client', 'east']] as const) {
  const { cert, key } = createAgentCertificate({ ca, role, region })
  writeFileSync(join(dir, `${region}-${role}-nomad.pem`), cert)
  writeFileSync(join(dir, `${region}-${role}-nomad-key.pem`), key)
}
const tlsBlock = (name: string) => ({
  enableRpc: true,
  verifyServerHostname: true,
  caFile: join(dir, 'nomad-agent-ca.pem'),
  certFile: join(dir, `${name}.pem`),
  keyFile: join(dir, `${name}-key.pem`),
})

// 2. A server of region "global": upgrades each connection to TLS, then checks role and region.
const acceptor = new TlsAcceptor(await loadTlsConfig(tlsBlock('global-server-nomad')), { region: 'global' })
const server = createServer(async (raw) => {
  try {
    const secure = await acceptor.accept(raw, AbortSignal.timeout(5_000))
    secure.end(`hello ${secure.getPeerCertificate().subject.CN}`)
  } catch (error) {
    console.log(`server refused a peer: ${(error as Error).message}`)
  }
})
server.listen(0, '127.0.0.1')
await once(server, 'listening')
const { port } = server.address() as AddressInfo

// 3. Clients dial it and upgrade with the region wrapper (SNI and name: server.global.nomad).
async function call(name: string): Promise<string> {
  const wrap = outgoingWrapper(await loadTlsConfig(tlsBlock(name)))
  const raw = createConnection({ host: '127.0.0.1', port })
  await once(raw, 'connect')
  const secure = await wrap('global', raw, AbortSignal.timeout(5_000))
  let reply = ''
  try {
    for await (const chunk of secure) reply += String(chunk)
  } catch {
    // the server closed a refused connection
  }
  return reply
}

console.log(await call('global-client-nomad')) // hello client.global.nomad
console.log(JSON.stringify(await call('east-client-nomad'))) // "" (the server refused it)

server.close()
rmSync(dir, { recursive: true })
