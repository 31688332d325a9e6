import type { Duration, Index } from './common.js'

/** Per-group progress of a deployment. */
export interface DeploymentState {
  AutoRevert: boolean
  AutoPromote: boolean
  ProgressDeadline: Duration
  RequireProgressBy: Date
  Promoted: boolean
  PlacedCanaries?: string[] | null
  DesiredCanaries: number
  DesiredTotal: number
  PlacedAllocs: number
  HealthyAllocs: number
  UnhealthyAllocs: number
}

/** The rollout of one job version. */
export interface Deployment {
  ID: string
  Namespace: string
  JobID: string
  JobVersion: number
  JobModifyIndex: Index
  JobSpecModifyIndex: Index
  JobCreateIndex: Index
  IsMultiregion: boolean
  TaskGroups?: Record<string, DeploymentState> | null
  /** `running`, `paused`, `failed`, `successful`, `cancelled`, … */
  Status: string
  StatusDescription: string
  CreateIndex: Index
  ModifyIndex: Index
}

/** A status change for a deployment carried in a plan. */
export interface DeploymentStatusUpdate {
  DeploymentID: string
  Status: string
  StatusDescription: string
}
