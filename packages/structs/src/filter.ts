import { allocTerminal } from './status.js'
import type { Allocation } from './types/allocation.js'
import type { Job, Task, TaskGroup } from './types/job.js'

/**
 * Nomad's `RemoveAllocs`: the allocations of `allocs` whose ID is not in `remove`.
 * Unlike Go it returns a new array and keeps the order.
 */
export function removeAllocs<A extends Pick<Allocation, 'ID'>>(allocs: readonly A[], remove: readonly Pick<Allocation, 'ID'>[]): A[] {
  if (remove.length === 0) return allocs.slice()
  const ids = new Set(remove.map((a) => a.ID))
  return allocs.filter((a) => !ids.has(a.ID))
}

/**
 * Nomad's `FilterTerminalAllocs`: the non-terminal allocations, and by allocation name the
 * terminal one with the highest CreateIndex.
 */
export function filterTerminalAllocs<A extends Pick<Allocation, 'DesiredStatus' | 'ClientStatus' | 'Name' | 'CreateIndex'>>(
  allocs: readonly A[],
): { live: A[]; terminalByName: Map<string, A> } {
  const live: A[] = []
  const terminalByName = new Map<string, A>()
  for (const alloc of allocs) {
    if (!allocTerminal(alloc)) {
      live.push(alloc)
      continue
    }
    const seen = terminalByName.get(alloc.Name)
    if (seen === undefined || seen.CreateIndex < alloc.CreateIndex) terminalByName.set(alloc.Name, alloc)
  }
  return { live, terminalByName }
}

/** Nomad's `AllocName`: `<job>.<group>[<index>]`. */
export function allocName(jobID: string, group: string, index: number): string {
  return `${jobID}.${group}[${index}]`
}

/** Nomad's `Allocation.Index`: the number between the brackets of the allocation name. */
export function allocIndex(alloc: Pick<Allocation, 'Name' | 'JobID' | 'TaskGroup'>): number {
  const prefix = alloc.JobID.length + alloc.TaskGroup.length + 2
  if (alloc.Name.length <= 3 || alloc.Name.length <= prefix) return 0
  const n = Number.parseInt(alloc.Name.slice(prefix, -1), 10)
  return Number.isNaN(n) ? 0 : n
}

/** Nomad's `Job.LookupTaskGroup`. */
export function lookupTaskGroup(job: Pick<Job, 'TaskGroups'> | null | undefined, name: string): TaskGroup | undefined {
  return job?.TaskGroups?.find((tg) => tg.Name === name)
}

/** Nomad's `TaskGroup.LookupTask`. */
export function lookupTask(group: Pick<TaskGroup, 'Tasks'> | null | undefined, name: string): Task | undefined {
  return group?.Tasks?.find((t) => t.Name === name)
}
