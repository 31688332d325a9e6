import { MsgpackWriter } from '@nomadic/msgpack'

/**
 * The msgpack writer for hashicorp/raft's structs, producing exactly what hashicorp/go-msgpack
 * 0.5.5 writes: maps with the Go field names sorted byte-wise (the caller writes them in that
 * order), integers in their smallest form, byte slices as old-style raw strings (never str8 or
 * bin) and `nil` for empty slices. It writes straight into one growing buffer because
 * AppendEntries is the hot path of replication.
 */
export class WireWriter extends MsgpackWriter {
  /** A non-negative integer up to 2^53-1 in its smallest form, as Go writes uint64. */
  uint(v: number): void {
    this.int(v)
  }

  /** A Go `[]byte`: `nil` when empty or absent, otherwise a raw string. */
  bytesOrNil(b: Uint8Array | null | undefined): void {
    if (b === null || b === undefined || b.length === 0) this.nil()
    else this.bytes(b)
  }
}

const keyCache = new Map<string, Buffer>()

/** The msgpack encoding of a map key (a fixstr for every raft field name), cached. */
export function key(name: string): Buffer {
  let k = keyCache.get(name)
  if (k === undefined) {
    const text = Buffer.from(name, 'utf8')
    k = Buffer.concat([Buffer.from([0xa0 | text.length]), text])
    keyCache.set(name, k)
  }
  return k
}
