import type { Job, Task, TaskGroup } from '@nomadic/structs'

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null)
}

function taskChanged(a: Task, b: Task): boolean {
  return (
    a.Driver !== b.Driver || a.User !== b.User || !same(a.Config, b.Config) || !same(a.Env, b.Env) ||
    !same(a.Meta, b.Meta) || !same(a.Artifacts, b.Artifacts) || !same(a.Vault, b.Vault) ||
    !same(a.Templates, b.Templates) || !same(a.DispatchPayload, b.DispatchPayload) ||
    !same(a.Lifecycle, b.Lifecycle) || !same(a.VolumeMounts, b.VolumeMounts) ||
    (a.Resources?.CPU ?? 0) !== (b.Resources?.CPU ?? 0) ||
    (a.Resources?.MemoryMB ?? 0) !== (b.Resources?.MemoryMB ?? 0) ||
    !same(networkShape(a.Resources?.Networks), networkShape(b.Resources?.Networks))
  )
}

// What of a network ask matters for a placement: bandwidth and the port labels and values asked.
function networkShape(networks: TaskGroup['Networks']): unknown {
  return (networks ?? []).map((n) => ({
    Mode: n.Mode,
    MBits: n.MBits,
    Reserved: (n.ReservedPorts ?? []).map((p) => [p.Label, p.Value, p.To]),
    Dynamic: (n.DynamicPorts ?? []).map((p) => [p.Label, p.To]),
  }))
}

/**
 * Nomad's `tasksUpdated`: whether the group changed in a way that needs new allocations
 * (destructive) rather than an in-place update: tasks added or removed, drivers, config, env,
 * resources, networks, artifacts, templates, meta, the ephemeral disk, volumes.
 */
export function tasksUpdated(jobA: Job, jobB: Job, group: string): boolean {
  const a = jobA.TaskGroups?.find((g) => g.Name === group)
  const b = jobB.TaskGroups?.find((g) => g.Name === group)
  if (a === undefined || b === undefined) return true
  const ta = a.Tasks ?? []
  const tb = b.Tasks ?? []
  if (ta.length !== tb.length) return true
  if (!same(a.EphemeralDisk, b.EphemeralDisk) || !same(networkShape(a.Networks), networkShape(b.Networks)) || !same(a.Volumes, b.Volumes)) return true
  if (!same(jobA.Meta, jobB.Meta) || !same(a.Meta, b.Meta)) return true
  for (const task of ta) {
    const other = tb.find((t) => t.Name === task.Name)
    if (other === undefined || taskChanged(task, other)) return true
  }
  return false
}
