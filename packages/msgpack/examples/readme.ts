import { decode, encode, StreamDecoder } from '@nomadic/msgpack'

// A Raft-style request: Go field names as keys, []byte written as an old-style raw string.
const request = { Term: 3, Leader: Buffer.from('127.0.0.1:8300'), LeaderCommitIndex: 2n ** 40n }
const bytes = encode(request)

// Go's []byte fields are named so they come back as Buffers; everything else as text.
const back = decode(bytes, { bytesKeys: new Set(['Leader']) }) as typeof request
if (!Buffer.isBuffer(back.Leader) || back.Term !== 3) throw new Error('round trip failed')

// Values back to back on a stream (net/rpc, Raft's transport), arriving in pieces.
const stream = new StreamDecoder({ maxValueBytes: 1 << 20 })
const wire = Buffer.concat([encode({ ServiceMethod: 'Status.Ping', Seq: 1 }), encode({})])
stream.push(wire.subarray(0, 5))
stream.push(wire.subarray(5))
const header = stream.next()?.value
const body = stream.next()?.value
export const result = { header, body }
