/** A map keyed by (namespace, job ID) without building a combined key string on every lookup. */
export class JobMap<V> {
  private readonly byNamespace = new Map<string, Map<string, V>>()
  private count = 0
  /** Nearly every lookup is in the same namespace as the last one: skip the outer map then. */
  private lastNamespace: string | undefined
  private lastJobs: Map<string, V> | undefined

  get size(): number {
    return this.count
  }

  get(namespace: string, jobId: string): V | undefined {
    return this.jobsIn(namespace)?.get(jobId)
  }

  set(namespace: string, jobId: string, value: V): void {
    let jobs = this.jobsIn(namespace)
    if (jobs === undefined) {
      jobs = new Map()
      this.byNamespace.set(namespace, jobs)
      this.lastNamespace = namespace
      this.lastJobs = jobs
    }
    const before = jobs.size
    jobs.set(jobId, value)
    this.count += jobs.size - before
  }

  delete(namespace: string, jobId: string): boolean {
    const jobs = this.jobsIn(namespace)
    if (jobs === undefined || !jobs.delete(jobId)) return false
    this.count--
    if (jobs.size === 0) {
      this.byNamespace.delete(namespace)
      if (this.lastJobs === jobs) this.lastNamespace = this.lastJobs = undefined
    }
    return true
  }

  clear(): void {
    this.byNamespace.clear()
    this.count = 0
    this.lastNamespace = this.lastJobs = undefined
  }

  private jobsIn(namespace: string): Map<string, V> | undefined {
    if (namespace === this.lastNamespace) return this.lastJobs
    const jobs = this.byNamespace.get(namespace)
    if (jobs !== undefined) {
      this.lastNamespace = namespace
      this.lastJobs = jobs
    }
    return jobs
  }

  *values(): IterableIterator<V> {
    for (const jobs of this.byNamespace.values()) yield* jobs.values()
  }
}
