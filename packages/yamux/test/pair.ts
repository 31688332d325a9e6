import { Duplex } from 'node:stream'

/** Two in-memory Duplex ends: what one writes, the other reads (asynchronously, like a socket). */
export function duplexPair(): [Duplex, Duplex] {
  let left!: Duplex
  let right!: Duplex
  const make = (peer: () => Duplex): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        const other = peer()
        setImmediate(() => {
          if (!other.destroyed) other.push(chunk)
          cb()
        })
      },
      final(cb) {
        const other = peer()
        setImmediate(() => {
          if (!other.destroyed) other.push(null)
          cb()
        })
      },
    })
  left = make(() => right)
  right = make(() => left)
  return [left, right]
}

/** Collects everything written to a raw end (for byte-level assertions). */
export function collect(stream: Duplex): Buffer[] {
  const chunks: Buffer[] = []
  stream.on('data', (c: Buffer) => chunks.push(c))
  return chunks
}

export function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () => resolve(Buffer.concat(chunks)))
    stream.on('error', reject)
  })
}

/** Polls `condition` until it holds (at most `timeoutMs`), so tests do not bet on fixed sleeps. */
export async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    await new Promise((r) => setTimeout(r, 2))
  }
}
