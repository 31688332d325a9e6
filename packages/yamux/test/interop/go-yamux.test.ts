import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { connect, createServer, type Server } from 'node:net'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Session } from '../../src/index.js'

const here = dirname(fileURLToPath(import.meta.url))
const binary = join(here, 'bin', 'echo-go')

function haveGo(): boolean {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

describe.skipIf(!haveGo())('interop with hashicorp/yamux (Go)', () => {
  let goServer: ChildProcess
  let goAddr: { host: string; port: number }

  beforeAll(async () => {
    execFileSync('go', ['build', '-o', binary, '.'], {
      cwd: join(here, 'echo-go'),
      env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: process.env['GOCACHE'] ?? join(tmpdir(), 'nomadic-gocache') },
      stdio: 'pipe',
      timeout: 170_000,
    })
    goServer = spawn(binary, ['-mode', 'server'], { stdio: ['ignore', 'pipe', 'ignore'] })
    const [line] = (await once(goServer.stdout!, 'data')) as [Buffer]
    const [host, port] = (JSON.parse(line.toString()) as { addr: string }).addr.split(':')
    goAddr = { host: host!, port: Number(port) }
  })

  afterAll(() => {
    goServer?.kill('SIGKILL')
  })

  it('our client: 16 concurrent 1 MiB streams echoed by Go, and a stream Go opens', async () => {
    const socket = connect(goAddr.port, goAddr.host)
    await once(socket, 'connect')
    const session = Session.client(socket)
    try {
      const fromGo = await session.accept()
      expect(fromGo.id % 2).toBe(0)
      expect((await readAll(fromGo)).toString()).toBe('hello from go')
      const results = await Promise.all(
        Array.from({ length: 16 }, async (_, i) => {
          const stream = await session.open()
          const data = Buffer.alloc(1 << 20)
          for (let j = 0; j < data.length; j++) data[j] = (i + j * 13) & 0xff
          stream.end(data)
          return (await readAll(stream)).equals(data)
        }),
      )
      expect(results.every(Boolean)).toBe(true)
      expect(await session.ping()).toBeGreaterThanOrEqual(0)
    } finally {
      session.close()
    }
  })

  it('Go client: 16 concurrent 1 MiB streams echoed by our server', async () => {
    const sessions: Session[] = []
    const server: Server = createServer((socket) => {
      const session = Session.server(socket)
      sessions.push(session)
      void (async () => {
        for await (const stream of session) {
          stream.on('error', () => {})
          stream.pipe(stream)
        }
      })()
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as { port: number }
    try {
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn(binary, ['-mode', 'client', '-addr', `127.0.0.1:${port}`, '-streams', '16', '-size', String(1 << 20)], { stdio: ['ignore', 'pipe', 'pipe'] })
        let text = ''
        child.stdout.on('data', (c: Buffer) => (text += c.toString()))
        child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`echo-go client exited ${code}`))))
      })
      expect(JSON.parse(out)).toEqual({ ok: 16 })
    } finally {
      for (const s of sessions) s.close()
      server.close()
    }
  })
})
