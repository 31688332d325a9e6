import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { encodeMessage, decodeMessage, encodeResponse, type MessageKind } from '../../src/transport/wire.js'
import { FrameReader, FrameTooLargeError } from '../../src/transport/wire-reader.js'
import { wireDecodeOptions } from '../../src/transport/wire.js'
import type { Log } from '../../src/types.js'

/** Encodings written by hashicorp/raft 1.1.2 + go-msgpack 0.5.5 (test/interop/golden/main.go). */
const golden = JSON.parse(readFileSync(new URL('./golden.json', import.meta.url), 'utf8')) as Record<string, string>

const b = (s: string): Buffer => Buffer.from(s)
const none = Buffer.alloc(0)
const confBytes = Buffer.from(golden['Configuration.three']!, 'hex')
const log = (Index: number, Type: Log['Type'], Data: Buffer = none, Extensions: Buffer = none): Log =>
  ({ Index, Term: 7, Type, Data, Extensions })

/** The same values as the Go program builds, in TypeScript. */
export const goldenValues: Record<string, [MessageKind, object]> = {
  'AppendEntriesRequest.heartbeat': ['AppendEntriesRequest', {
    ProtocolVersion: 3, Term: 5, Leader: b('10.0.0.1:4647'), PrevLogEntry: 0, PrevLogTerm: 0, Entries: [], LeaderCommitIndex: 0,
  }],
  'AppendEntriesRequest.entries': ['AppendEntriesRequest', {
    ProtocolVersion: 3, Term: 7, Leader: b('127.0.0.1:7001'), PrevLogEntry: 300, PrevLogTerm: 6, LeaderCommitIndex: 70000,
    Entries: [log(301, 0, Buffer.from([1, 2, 3])), log(302, 1), log(303, 5, confBytes), log(304, 0, Buffer.alloc(300, 0xab), b('ext'))],
  }],
  'AppendEntriesRequest.bigIndex': ['AppendEntriesRequest', {
    ProtocolVersion: 3, Term: 2 ** 33, Leader: b('a'), PrevLogEntry: Number.MAX_SAFE_INTEGER, PrevLogTerm: 2 ** 32, Entries: [], LeaderCommitIndex: 4294967295,
  }],
  'AppendEntriesResponse.ok': ['AppendEntriesResponse', { ProtocolVersion: 3, Term: 7, LastLog: 304, Success: true, NoRetryBackoff: false }],
  'AppendEntriesResponse.noretry': ['AppendEntriesResponse', { ProtocolVersion: 3, Term: 9, LastLog: 12, Success: false, NoRetryBackoff: true }],
  'RequestVoteRequest.plain': ['RequestVoteRequest', {
    ProtocolVersion: 3, Term: 8, Candidate: b('127.0.0.1:7002'), LastLogIndex: 304, LastLogTerm: 7, LeadershipTransfer: false,
  }],
  'RequestVoteRequest.transfer': ['RequestVoteRequest', {
    ProtocolVersion: 3, Term: 9, Candidate: b('127.0.0.1:7003'), LastLogIndex: 1, LastLogTerm: 1, LeadershipTransfer: true,
  }],
  'RequestVoteResponse.granted': ['RequestVoteResponse', { ProtocolVersion: 3, Term: 8, Peers: none, Granted: true }],
  'RequestVoteResponse.refused': ['RequestVoteResponse', { ProtocolVersion: 3, Term: 8, Peers: none, Granted: false }],
  'InstallSnapshotRequest.v1': ['InstallSnapshotRequest', {
    ProtocolVersion: 3, SnapshotVersion: 1, Term: 7, Leader: b('127.0.0.1:7001'), LastLogIndex: 9000, LastLogTerm: 6,
    Peers: Buffer.concat([Buffer.from([0x91, 0xae]), b('127.0.0.1:7001')]), Configuration: confBytes, ConfigurationIndex: 3, Size: 300,
  }],
  'InstallSnapshotResponse.ok': ['InstallSnapshotResponse', { ProtocolVersion: 0, Term: 7, Success: true }],
  'TimeoutNowRequest.v3': ['TimeoutNowRequest', { ProtocolVersion: 3 }],
  'TimeoutNowResponse.v3': ['TimeoutNowResponse', { ProtocolVersion: 3 }],
}

describe('wire codec against hashicorp/raft 1.1.2 encodings', () => {
  for (const [name, [kind, value]] of Object.entries(goldenValues)) {
    it(`encodes ${name} byte for byte as Go does`, () => {
      expect(encodeMessage(kind, value).toString('hex')).toBe(golden[name])
    })
    it(`decodes Go's ${name}`, () => {
      expect(decodeMessage(kind, Buffer.from(golden[name]!, 'hex'))).toEqual(value)
    })
  }

  it('writes the response framing as Go does: error string, then the response or nil', () => {
    expect(encodeResponse(1, undefined, 'unsupported protocol').toString('hex')).toBe(golden['string.error']! + golden.nil)
    const ok = encodeResponse(3, { ProtocolVersion: 3 })
    expect(ok.toString('hex')).toBe(golden['string.empty']! + golden['TimeoutNowResponse.v3'])
  })

  it('accepts keys in any order, unknown keys, signed integer forms, str8 and bin byte strings', () => {
    // {Term: int8 5, Zzz: ext, Leader: bin8 "x", ProtocolVersion: int16 3, Entries: []}
    const hex = '85' + 'a45465726d' + 'd005' + 'a35a7a7a' + 'd40100' + 'a64c6561646572' + 'c40178'
      + 'af50726f746f636f6c56657273696f6e' + 'd10003' + 'a7456e7472696573' + '90'
    expect(decodeMessage('AppendEntriesRequest', Buffer.from(hex, 'hex'))).toEqual({
      ProtocolVersion: 3, Term: 5, Leader: b('x'), PrevLogEntry: 0, PrevLogTerm: 0, Entries: [], LeaderCommitIndex: 0,
    })
    // Candidate as str8 (d9), which go-msgpack 0.5.5 never writes but reads.
    const vote = '82' + 'a943616e646964617465' + 'd90161' + 'a45465726d' + 'cf0000000000000002'
    expect(decodeMessage('RequestVoteRequest', Buffer.from(vote, 'hex'))).toMatchObject({ Term: 2, Candidate: b('a') })
  })

  it('carries the ID and Addr header fields of hashicorp/raft >= 1.3.7 when they are set', () => {
    const m = { ProtocolVersion: 3, ID: b('n1'), Addr: b('127.0.0.1:1'), Term: 2, Granted: true }
    const bytes = encodeMessage('RequestPreVoteResponse', m)
    // Keys in byte-wise order: Addr, Granted, ID, ProtocolVersion, Term.
    expect(bytes.toString('latin1')).toMatch(/Addr.*Granted.*ID.*ProtocolVersion.*Term/s)
    expect(decodeMessage('RequestPreVoteResponse', bytes)).toEqual(m)
  })

  it('refuses wrong types, negative unsigned values and values beyond 2^53', () => {
    const cases = [
      '81a45465726da178', // Term: "x"
      '81a45465726dff', // Term: -1
      '81a45465726dcf0020000000000001', // Term: 2^53+1
      '81a7456e7472696573a178', // Entries: "x"
      '93010203', // an array, not a map
    ]
    for (const hex of cases) {
      expect(() => decodeMessage('AppendEntriesRequest', Buffer.from(hex, 'hex')), hex).toThrow(/cannot decode AppendEntriesRequest/)
    }
  })
})

describe('FrameReader', () => {
  it('returns a value only once all its bytes arrived, whatever the chunking', () => {
    const frame = Buffer.concat([Buffer.from([0]), Buffer.from(golden['AppendEntriesRequest.entries']!, 'hex'), Buffer.from([1])])
    for (const size of [1, 3, 7, 64, frame.length]) {
      const r = new FrameReader(wireDecodeOptions(), 1 << 20)
      const got: unknown[] = []
      for (let i = 0; i < frame.length; i += size) {
        r.push(frame.subarray(i, i + size))
        if (got.length === 0) {
          const t = r.readByte()
          if (t !== undefined) got.push(t)
        }
        if (got.length === 1) {
          const v = r.readValue()
          if (v) got.push(v.value)
        }
      }
      expect(got.length).toBe(2)
      expect(r.readByte()).toBe(1)
      expect(r.buffered).toBe(0)
    }
  })

  it('refuses a value whose declared length exceeds the limit before receiving it', () => {
    const r = new FrameReader(wireDecodeOptions(), 1024)
    r.push(Buffer.from('db7fffffff', 'hex')) // str32 of 2 GiB
    expect(() => r.readValue()).toThrow(FrameTooLargeError)
  })

  it('hands out raw bytes for snapshot data across chunks', () => {
    const r = new FrameReader(wireDecodeOptions(), 1024)
    r.push(Buffer.from('abc'))
    r.push(Buffer.from('defg'))
    expect(r.take(2).toString()).toBe('ab')
    expect(r.take(4).toString()).toBe('cdef')
    expect(r.take(9).toString()).toBe('g')
  })
})

describe('FrameReader framing', () => {
  it('finds the end of every golden message whatever the chunking, and decodes each once', () => {
    const all = Object.values(golden).map((h) => Buffer.from(h, 'hex'))
    const stream = Buffer.concat(all)
    for (const size of [1, 2, 5, 33, 1000, stream.length]) {
      const r = new FrameReader(wireDecodeOptions(), 1 << 20)
      const got: unknown[] = []
      for (let i = 0; i < stream.length; i += size) {
        r.push(stream.subarray(i, i + size))
        for (let v = r.readValue(); v !== undefined; v = r.readValue()) got.push(v.value)
      }
      expect(got.length).toBe(all.length)
      expect(r.buffered).toBe(0)
    }
  })

  it('refuses too many entries, too deep nesting and an unused tag as soon as they arrive', () => {
    const r1 = new FrameReader(wireDecodeOptions(1000), 1 << 20)
    r1.push(Buffer.from('dd00010000', 'hex')) // array of 65536 entries, no entries sent yet
    expect(() => r1.readValue()).toThrow(FrameTooLargeError)
    const r2 = new FrameReader(wireDecodeOptions(), 1 << 20)
    r2.push(Buffer.alloc(40, 0x91)) // 40 nested one-element arrays, deeper than 16
    expect(() => r2.readValue()).toThrow(/nests deeper/)
    const r3 = new FrameReader(wireDecodeOptions(), 1 << 20)
    r3.push(Buffer.from([0x81, 0xa1, 0x41, 0xc1]))
    expect(() => r3.readValue()).toThrow(/0xc1/)
  })

  it('scans a large value arriving in small chunks in linear time', () => {
    const entries = Array.from({ length: 4000 }, (_, i) => ({ Index: i + 1, Term: 1, Type: 0 as const, Data: Buffer.alloc(1000, i), Extensions: Buffer.alloc(0) }))
    const frame = encodeMessage('AppendEntriesRequest', {
      ProtocolVersion: 3, Term: 1, Leader: b('l'), PrevLogEntry: 0, PrevLogTerm: 0, LeaderCommitIndex: 0, Entries: entries,
    })
    const r = new FrameReader(wireDecodeOptions(), 64 << 20)
    let value: unknown
    for (let i = 0; i < frame.length; i += 1400) {
      r.push(frame.subarray(i, i + 1400))
      value ??= r.readValue()?.value
    }
    expect((value as { Entries: unknown[] }).Entries.length).toBe(4000)
  })
})
