/**
 * Lifeguard's local health multiplier: 0 is healthy; missed acks, missing nacks and having to
 * refute raise it, and the probe interval and timeouts stretch by `score + 1`.
 */
export class Awareness {
  private score = 0

  constructor(private readonly max: number) {}

  /** Adds `delta`, clamped to [0, max − 1]; returns the new score. */
  applyDelta(delta: number): number {
    this.score = Math.min(this.max - 1, Math.max(0, this.score + delta))
    return this.score
  }

  getHealthScore(): number {
    return this.score
  }

  /** `timeout × (score + 1)`. */
  scaleTimeout(timeout: number): number {
    return timeout * (this.score + 1)
  }
}
