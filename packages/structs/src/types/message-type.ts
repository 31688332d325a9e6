/**
 * The type byte in front of every FSM (Raft log) entry, numbered exactly as Nomad v0.12's
 * `structs.MessageType` iota. New types are only ever appended.
 */
export const MessageType = {
  NodeRegisterRequestType: 0,
  NodeDeregisterRequestType: 1,
  NodeUpdateStatusRequestType: 2,
  NodeUpdateDrainRequestType: 3,
  JobRegisterRequestType: 4,
  JobDeregisterRequestType: 5,
  EvalUpdateRequestType: 6,
  EvalDeleteRequestType: 7,
  AllocUpdateRequestType: 8,
  AllocClientUpdateRequestType: 9,
  ReconcileJobSummariesRequestType: 10,
  VaultAccessorRegisterRequestType: 11,
  VaultAccessorDeregisterRequestType: 12,
  ApplyPlanResultsRequestType: 13,
  DeploymentStatusUpdateRequestType: 14,
  DeploymentPromoteRequestType: 15,
  DeploymentAllocHealthRequestType: 16,
  DeploymentDeleteRequestType: 17,
  JobStabilityRequestType: 18,
  ACLPolicyUpsertRequestType: 19,
  ACLPolicyDeleteRequestType: 20,
  ACLTokenUpsertRequestType: 21,
  ACLTokenDeleteRequestType: 22,
  ACLTokenBootstrapRequestType: 23,
  AutopilotRequestType: 24,
  UpsertNodeEventsType: 25,
  JobBatchDeregisterRequestType: 26,
  AllocUpdateDesiredTransitionRequestType: 27,
  NodeUpdateEligibilityRequestType: 28,
  BatchNodeUpdateDrainRequestType: 29,
  SchedulerConfigRequestType: 30,
  NodeBatchDeregisterRequestType: 31,
  ClusterMetadataRequestType: 32,
  ServiceIdentityAccessorRegisterRequestType: 33,
  ServiceIdentityAccessorDeregisterRequestType: 34,
  CSIVolumeRegisterRequestType: 35,
  CSIVolumeDeregisterRequestType: 36,
  CSIVolumeClaimRequestType: 37,
  ScalingEventRegisterRequestType: 38,
  CSIVolumeClaimBatchRequestType: 39,
  CSIPluginDeleteRequestType: 40,
} as const

/** One of the {@link MessageType} numbers. */
export type MessageType = (typeof MessageType)[keyof typeof MessageType]

/** The name of each message type, by number. */
export const MessageTypeName: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(MessageType).map(([name, value]) => [value, name]),
)

/**
 * Set together with a type byte: a server that does not know the type may skip the entry
 * instead of failing (forward compatibility of the Raft log).
 */
export const IgnoreUnknownTypeFlag = 128
