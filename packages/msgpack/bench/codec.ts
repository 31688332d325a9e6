// Encodes and decodes a Raft-shaped message (AppendEntries with 64 entries of 128 bytes) and a
// Nomad-shaped map, with this codec and with msgpack-lite, and prints one JSON line.
import { createRequire } from 'node:module'
import { decode, encode } from '../src/index.js'

const require = createRequire(import.meta.url)
const lite = require('msgpack-lite') as {
  encode(v: unknown, o?: unknown): Buffer
  decode(b: Buffer, o?: unknown): unknown
  createCodec(o: unknown): unknown
}
const liteCodec = lite.createCodec({ useraw: true })

const appendEntries = {
  RPCHeader: { ProtocolVersion: 3 },
  Term: 7,
  Leader: Buffer.from('127.0.0.1:8300'),
  PrevLogEntry: 100_000,
  PrevLogTerm: 7,
  Entries: Array.from({ length: 64 }, (_, i) => ({
    Index: 100_001 + i, Term: 7, Type: 0, Data: Buffer.alloc(128, i), Extensions: Buffer.alloc(0),
  })),
  LeaderCommitIndex: 100_000,
}
const nodeLike = {
  ID: '5f0a3d1e-9c7b-4a6e-8d2f-1b3c5d7e9f01', Name: 'client-17', Datacenter: 'dc1', Status: 'ready',
  Attributes: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`attr.${i}`, `value-${i}`])),
  NodeResources: { Cpu: { CpuShares: 4000 }, Memory: { MemoryMB: 8192 }, Disk: { DiskMB: 100_000 } },
  CreateIndex: 10, ModifyIndex: 12,
}

function opsPerSec(fn: () => void, ms = 400): number {
  for (let i = 0; i < 200; i++) fn()
  let n = 0
  const start = process.hrtime.bigint()
  const until = start + BigInt(ms) * 1_000_000n
  let now = start
  while (now < until) {
    for (let i = 0; i < 50; i++) fn()
    n += 50
    now = process.hrtime.bigint()
  }
  return Math.round(n / (Number(now - start) / 1e9))
}

const figures: Record<string, number> = {}
for (const [name, value] of Object.entries({ appendEntries, node: nodeLike })) {
  const ours = encode(value)
  const theirs = lite.encode(value, { codec: liteCodec })
  figures[`${name}EncodeOps`] = opsPerSec(() => encode(value))
  figures[`${name}EncodeOpsLite`] = opsPerSec(() => lite.encode(value, { codec: liteCodec }))
  figures[`${name}DecodeOps`] = opsPerSec(() => decode(ours, { bytesKeys: new Set(['Data', 'Leader', 'Extensions']) }))
  figures[`${name}DecodeOpsLite`] = opsPerSec(() => lite.decode(theirs, { codec: liteCodec }))
  figures[`${name}EncodeRatio`] = +(figures[`${name}EncodeOps`]! / figures[`${name}EncodeOpsLite`]!).toFixed(2)
  figures[`${name}DecodeRatio`] = +(figures[`${name}DecodeOps`]! / figures[`${name}DecodeOpsLite`]!).toFixed(2)
}
process.stdout.write(JSON.stringify({ bench: 'msgpack', ...figures }) + '\n')
