import { HEADER_SIZE } from './constants.js'
import { writeHeader } from './header.js'

/** Size of the slabs frames are laid out in before they are written. */
const SLAB_BYTES = 64 * 1024
/** Bodies up to this size are copied next to their header; larger ones are written as they are. */
const COPY_BODY_BYTES = 16 * 1024

// One slab for every session of the process, filled front to back: a byte handed to a socket is
// never written again, and an idle session holds no output memory (a server has a session per
// client). A session whose frames are not contiguous in it (another wrote in between) queues
// them as separate pieces.
let slab = Buffer.allocUnsafe(SLAB_BYTES)
let slabUsed = 0

/**
 * The frames a session has sent and not yet written to its connection, in order: laid out one
 * after another, so that a tick's frames usually leave as one buffer in one write.
 */
export class OutputQueue {
  private chunks: Buffer[] = []
  private queuedBytes = 0
  // This session's open run of frames in the shared slab: [start, end) of `runSlab`.
  private runSlab: Buffer | undefined
  private start = 0
  private end = 0

  /** Bytes waiting. */
  get bytes(): number {
    return this.queuedBytes + this.end - this.start
  }

  /** Queues one frame: its header, and its body when given. */
  frame(type: number, flags: number, streamId: number, length: number, body?: Buffer): void {
    const copyBody = body !== undefined && body.length <= COPY_BODY_BYTES
    const room = HEADER_SIZE + (copyBody ? body.length : 0)
    if (slabUsed + room > slab.length) {
      slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, room))
      slabUsed = 0
    }
    if (this.runSlab !== slab || this.end !== slabUsed) {
      this.closeRun()
      this.runSlab = slab
      this.start = slabUsed
      this.end = slabUsed
    }
    writeHeader(slab, slabUsed, type, flags, streamId, length)
    if (copyBody) body.copy(slab, slabUsed + HEADER_SIZE)
    slabUsed += room
    this.end = slabUsed
    if (body !== undefined && !copyBody) {
      this.closeRun()
      this.chunks.push(body)
      this.queuedBytes += body.length
    }
  }

  /** Everything queued, in order; the queue is empty afterwards. */
  take(): Buffer[] {
    this.closeRun()
    const out = this.chunks
    if (out.length > 0) this.chunks = []
    this.queuedBytes = 0
    return out
  }

  // Moves the open run of frames to the queue; the next frame starts a new run.
  private closeRun(): void {
    if (this.end > this.start) {
      this.chunks.push(this.runSlab!.subarray(this.start, this.end))
      this.queuedBytes += this.end - this.start
    }
    this.runSlab = undefined
    this.start = 0
    this.end = 0
  }
}
