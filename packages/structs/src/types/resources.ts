/** A port on a network: a static (reserved) one or a dynamic one the scheduler assigns. */
export interface Port {
  Label: string
  /** The host port; 0 for a dynamic port not yet assigned. */
  Value: number
  /** The port inside the task's network namespace (0: same as Value, −1: none). */
  To: number
  /** The host network the port is on (Nomad 0.12); empty means the default. */
  HostNetwork?: string
}

/** DNS settings of a group network (Nomad 0.12+). */
export interface DNSConfig {
  Servers?: string[] | null
  Searches?: string[] | null
  Options?: string[] | null
}

/** A network ask or a network assignment: bandwidth plus reserved and dynamic ports. */
export interface NetworkResource {
  /** `host`, `bridge`, `none`, `cni/<name>`; empty is host. */
  Mode: string
  Device: string
  CIDR: string
  IP: string
  MBits: number
  DNS?: DNSConfig | null
  ReservedPorts?: Port[] | null
  DynamicPorts?: Port[] | null
}

/** A device ask (`nvidia/gpu`, `gpu`, …). */
export interface RequestedDevice {
  Name: string
  Count: number
  Constraints?: Constraint[] | null
  Affinities?: Affinity[] | null
}

/** The legacy resource ask of a task (and the legacy resources of a node). */
export interface Resources {
  /** CPU in MHz. */
  CPU: number
  MemoryMB: number
  DiskMB: number
  /** Deprecated since 0.9; kept for the wire. */
  IOPS: number
  Networks?: NetworkResource[] | null
  Devices?: RequestedDevice[] | null
}

/** A placement restriction: `LTarget Operand RTarget`, e.g. `${attr.kernel.name} = linux`. */
export interface Constraint {
  LTarget: string
  RTarget: string
  Operand: string
}

/** A placement preference with a weight in [−100, 100]. */
export interface Affinity {
  LTarget: string
  RTarget: string
  Operand: string
  Weight: number
}

/** A desired share of allocations for one value of a spread attribute. */
export interface SpreadTarget {
  Value: string
  /** Percent of the allocations (Go `uint8`). */
  Percent: number
}

/** Spread allocations across the values of an attribute. */
export interface Spread {
  Attribute: string
  Weight: number
  SpreadTarget?: SpreadTarget[] | null
}

// --- resources as the scheduler accounts them (Nomad 0.9+) ---

export interface NodeCpuResources { CpuShares: number }
export interface NodeMemoryResources { MemoryMB: number }
export interface NodeDiskResources { DiskMB: number }

/** One instance of a device on a node. */
export interface NodeDevice {
  ID: string
  Healthy: boolean
  HealthDescription: string
  Locality?: { PciBusID: string } | null
}

/** A group of identical devices a node exposes. */
export interface NodeDeviceResource {
  Vendor: string
  Type: string
  Name: string
  Instances?: NodeDevice[] | null
  Attributes?: Record<string, unknown> | null
}

/** A host network of a node (Nomad 0.12 `host_network`). */
export interface NodeNetworkAddress {
  Family: string
  Alias: string
  Address: string
  ReservedPorts: string
  Gateway: string
}

export interface NodeNetworkResource {
  Mode: string
  Device: string
  MacAddress: string
  Speed: number
  Addresses?: NodeNetworkAddress[] | null
}

/** What a node offers. */
export interface NodeResources {
  Cpu: NodeCpuResources
  Memory: NodeMemoryResources
  Disk: NodeDiskResources
  Networks?: NetworkResource[] | null
  NodeNetworks?: NodeNetworkResource[] | null
  Devices?: NodeDeviceResource[] | null
}

/** What a node keeps for itself; `ReservedHostPorts` is a port spec such as `22,80,8000-8100`. */
export interface NodeReservedResources {
  Cpu: { CpuShares: number }
  Memory: { MemoryMB: number }
  Disk: { DiskMB: number }
  Networks: { ReservedHostPorts: string }
}

export interface AllocatedCpuResources { CpuShares: number }
export interface AllocatedMemoryResources { MemoryMB: number }

/** Device instances assigned to a task. */
export interface AllocatedDeviceResource {
  Vendor: string
  Type: string
  Name: string
  DeviceIDs?: string[] | null
}

/** What one task of an allocation was given. */
export interface AllocatedTaskResources {
  Cpu: AllocatedCpuResources
  Memory: AllocatedMemoryResources
  Networks?: NetworkResource[] | null
  Devices?: AllocatedDeviceResource[] | null
}

/** A port mapping assigned to an allocation (Nomad 0.12). */
export interface AllocatedPortMapping {
  Label: string
  Value: number
  To: number
  HostIP: string
}

/** What the task group as a whole was given. */
export interface AllocatedSharedResources {
  Networks?: NetworkResource[] | null
  DiskMB: number
  Ports?: AllocatedPortMapping[] | null
}

/** The lifecycle hook of a task (prestart, poststart, …). */
export interface TaskLifecycleConfig {
  Hook: string
  Sidecar: boolean
}

/** Everything assigned to an allocation. */
export interface AllocatedResources {
  Tasks?: Record<string, AllocatedTaskResources> | null
  TaskLifecycles?: Record<string, TaskLifecycleConfig | null> | null
  Shared: AllocatedSharedResources
}
