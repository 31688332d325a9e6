/** A promise with its settle functions, settled at most once. */
export class Deferred<T> {
  readonly promise: Promise<T>
  settled = false
  private resolveFn!: (value: T) => void
  private rejectFn!: (reason: unknown) => void

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolveFn = resolve
      this.rejectFn = reject
    })
    // Callers may drop a future they do not care about; that must not be an unhandled rejection.
    this.promise.catch(() => {})
  }

  resolve(value: T): void {
    if (this.settled) return
    this.settled = true
    this.resolveFn(value)
  }

  reject(reason: unknown): void {
    if (this.settled) return
    this.settled = true
    this.rejectFn(reason)
  }
}

/** Runs async tasks one at a time, in the order they were queued. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve()

  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task)
    this.tail = next.catch(() => {})
    return next
  }

  /** Resolves once every task queued so far has finished. */
  idle(): Promise<void> {
    return this.tail.then(() => {})
  }
}
