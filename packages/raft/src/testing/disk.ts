/**
 * A simulated disk: an InmemStore whose writes take simulated time. A crash during a write
 * keeps a random prefix of it (a torn batch) and fails it, so nothing that was not acknowledged
 * can be relied on, and whatever was acknowledged is there after the restart.
 */
import type { Clock, Random } from '@nomadic/runtime'
import { InmemStore } from '../store/inmem.js'
import type { Log } from '../types.js'

export class SimDisk extends InmemStore {
  /** Bumped by every crash; a write started before it is cut short. */
  epoch = 0

  constructor(private readonly clock: Clock, private readonly random: Random, private readonly maxLatency: number) {
    super()
  }

  /** The process died: writes in flight are torn. */
  crash(): void {
    this.epoch++
  }

  private async write(parts: number, apply: (count: number) => Promise<void>): Promise<void> {
    const epoch = this.epoch
    if (this.maxLatency > 0) await this.clock.sleep(this.random.next() * this.maxLatency)
    if (this.epoch !== epoch) {
      await apply(this.random.int(parts + 1))
      throw new Error('simulated crash during write')
    }
    await apply(parts)
  }

  override async storeLogs(logs: readonly Log[]): Promise<void> {
    await this.write(logs.length, (n) => super.storeLogs(logs.slice(0, n)))
  }

  override async storeLog(log: Log): Promise<void> {
    await this.write(1, (n) => (n > 0 ? super.storeLog(log) : Promise.resolve()))
  }

  override async deleteRange(min: number, max: number): Promise<void> {
    // A deletion is all or nothing (a WAL writes one record for it).
    await this.write(1, (n) => (n > 0 ? super.deleteRange(min, max) : Promise.resolve()))
  }

  override async setUint64(key: string, value: number): Promise<void> {
    await this.write(1, (n) => (n > 0 ? super.setUint64(key, value) : Promise.resolve()))
  }

  override async set(key: string, value: Buffer): Promise<void> {
    await this.write(1, (n) => (n > 0 ? super.set(key, value) : Promise.resolve()))
  }
}
