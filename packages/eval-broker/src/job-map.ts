/** A map keyed by (namespace, job ID) without building a combined key string on every lookup. */
export class JobMap<V> {
  private readonly byNamespace = new Map<string, Map<string, V>>()
  private count = 0

  get size(): number {
    return this.count
  }

  get(namespace: string, jobId: string): V | undefined {
    return this.byNamespace.get(namespace)?.get(jobId)
  }

  set(namespace: string, jobId: string, value: V): void {
    let jobs = this.byNamespace.get(namespace)
    if (jobs === undefined) {
      jobs = new Map()
      this.byNamespace.set(namespace, jobs)
    }
    const before = jobs.size
    jobs.set(jobId, value)
    this.count += jobs.size - before
  }

  delete(namespace: string, jobId: string): boolean {
    const jobs = this.byNamespace.get(namespace)
    if (jobs === undefined || !jobs.delete(jobId)) return false
    this.count--
    if (jobs.size === 0) this.byNamespace.delete(namespace)
    return true
  }

  clear(): void {
    this.byNamespace.clear()
    this.count = 0
  }

  *values(): IterableIterator<V> {
    for (const jobs of this.byNamespace.values()) yield* jobs.values()
  }
}
