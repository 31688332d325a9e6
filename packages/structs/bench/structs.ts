/**
 * Benchmark: allocsFit on a busy node, and the FSM codec on the apply-plan-results golden
 * message (an allocation with its job, a deployment, preemptions) beside Go's go-msgpack doing
 * the same decode and encode. Prints one JSON line.
 *
 *   npm run bench -w @nomadic/structs
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { allocsFit, decodeMessage, encodeMessage, mockAlloc, mockNode, type Allocation } from '../src/index.js'

function perSecond(iterations: number, fn: () => void): number {
  for (let i = 0; i < Math.min(1000, iterations); i++) fn() // warm up
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) fn()
  const ns = Number(process.hrtime.bigint() - start)
  return (iterations * 1e9) / ns
}

// allocsFit: 50 live allocations with distinct ports on one node.
const node = mockNode()
const allocs: Allocation[] = Array.from({ length: 50 }, (_, i) => {
  const a = mockAlloc()
  const net = a.AllocatedResources!.Tasks!['web']!.Networks![0]!
  net.ReservedPorts = [{ Label: 'admin', Value: 5000 + i, To: 0 }]
  net.DynamicPorts = [{ Label: 'http', Value: 21000 + i, To: 0 }]
  net.MBits = 10
  a.AllocatedResources!.Tasks!['web']!.Cpu.CpuShares = 50
  a.AllocatedResources!.Tasks!['web']!.Memory.MemoryMB = 64
  a.AllocatedResources!.Shared.DiskMB = 100
  return a
})
if (!allocsFit(node, allocs).fits) throw new Error('benchmark setup does not fit')
const allocsFitPerSec = perSecond(20_000, () => allocsFit(node, allocs))

// Codec on the golden message.
const vectors: { name: string; hex: string }[] = JSON.parse(readFileSync(new URL('../test/golden/vectors.json', import.meta.url), 'utf8'))
const entry = Buffer.from(vectors.find((v) => v.name === 'apply-plan-results')!.hex, 'hex')
const decoded = decodeMessage(entry)
const n = 20_000
const decodePerSec = perSecond(n, () => decodeMessage(entry))
const encodePerSec = perSecond(n, () => encodeMessage(13, decoded.body))

// Go beside it, when go is installed.
let go: { decodePerSec: number; encodePerSec: number } | null = null
if (spawnSync('go', ['version']).status === 0) {
  const binDir = fileURLToPath(new URL('./bin/', import.meta.url))
  mkdirSync(binDir, { recursive: true })
  const env = { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: `${binDir}gocache` }
  execFileSync('go', ['build', '-o', `${binDir}golden-gen`, fileURLToPath(new URL('../test/golden/gen.go', import.meta.url))], { env, stdio: 'pipe' })
  const out = JSON.parse(execFileSync(`${binDir}golden-gen`, ['bench', String(n)], { encoding: 'utf8' })) as { decodeNsPerOp: number; encodeNsPerOp: number }
  go = { decodePerSec: 1e9 / out.decodeNsPerOp, encodePerSec: 1e9 / out.encodeNsPerOp }
}

const round = (x: number): number => Math.round(x)
process.stdout.write(
  `${JSON.stringify({
    allocsFitPerSec: round(allocsFitPerSec),
    allocsOnNode: allocs.length,
    messageBytes: entry.length,
    decodePerSec: round(decodePerSec),
    encodePerSec: round(encodePerSec),
    goDecodePerSec: go === null ? null : round(go.decodePerSec),
    goEncodePerSec: go === null ? null : round(go.encodePerSec),
    decodeRatioVsGo: go === null ? null : Number((decodePerSec / go.decodePerSec).toFixed(2)),
    encodeRatioVsGo: go === null ? null : Number((encodePerSec / go.encodePerSec).toFixed(2)),
  })}\n`,
)
