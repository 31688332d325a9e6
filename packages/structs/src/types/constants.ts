/** Status strings and defaults of Nomad's data model (nomad/structs), as the wire carries them. */

export const JobTypeService = 'service'
export const JobTypeBatch = 'batch'
export const JobTypeSystem = 'system'
export const JobTypeCore = '_core'

export const JobStatusPending = 'pending'
export const JobStatusRunning = 'running'
export const JobStatusDead = 'dead'

export const JobMinPriority = 1
export const JobDefaultPriority = 50
export const JobMaxPriority = 100
/** Priority of the server's own garbage-collection evals: 2 × JobMaxPriority. */
export const CoreJobPriority = JobMaxPriority * 2

export const DefaultNamespace = 'default'
export const GlobalRegion = 'global'
export const DefaultDatacenter = 'dc1'

export const NodeStatusInit = 'initializing'
export const NodeStatusReady = 'ready'
export const NodeStatusDown = 'down'

export const NodeSchedulingEligible = 'eligible'
export const NodeSchedulingIneligible = 'ineligible'

export const AllocDesiredStatusRun = 'run'
export const AllocDesiredStatusStop = 'stop'
export const AllocDesiredStatusEvict = 'evict'

export const AllocClientStatusPending = 'pending'
export const AllocClientStatusRunning = 'running'
export const AllocClientStatusComplete = 'complete'
export const AllocClientStatusFailed = 'failed'
export const AllocClientStatusLost = 'lost'

export const TaskStatePending = 'pending'
export const TaskStateRunning = 'running'
export const TaskStateDead = 'dead'

export const EvalStatusBlocked = 'blocked'
export const EvalStatusPending = 'pending'
export const EvalStatusComplete = 'complete'
export const EvalStatusFailed = 'failed'
export const EvalStatusCancelled = 'canceled'

export const EvalTriggerJobRegister = 'job-register'
export const EvalTriggerJobDeregister = 'job-deregister'
export const EvalTriggerPeriodicJob = 'periodic-job'
export const EvalTriggerNodeDrain = 'node-drain'
export const EvalTriggerNodeUpdate = 'node-update'
export const EvalTriggerAllocStop = 'alloc-stop'
export const EvalTriggerScheduled = 'scheduled'
export const EvalTriggerRollingUpdate = 'rolling-update'
export const EvalTriggerDeploymentWatcher = 'deployment-watcher'
export const EvalTriggerFailedFollowUp = 'failed-follow-up'
export const EvalTriggerMaxPlans = 'max-plan-attempts'
export const EvalTriggerRetryFailedAlloc = 'alloc-failure'
export const EvalTriggerQueuedAllocs = 'queued-allocs'
export const EvalTriggerPreemption = 'preemption'
export const EvalTriggerScaling = 'job-scaling'

export const DeploymentStatusRunning = 'running'
export const DeploymentStatusPaused = 'paused'
export const DeploymentStatusFailed = 'failed'
export const DeploymentStatusSuccessful = 'successful'
export const DeploymentStatusCancelled = 'cancelled'
export const DeploymentStatusBlocked = 'blocked'
export const DeploymentStatusUnblocking = 'unblocking'

export const ConstraintDistinctProperty = 'distinct_property'
export const ConstraintDistinctHosts = 'distinct_hosts'
export const ConstraintRegex = 'regexp'
export const ConstraintVersion = 'version'
export const ConstraintSemver = 'semver'
export const ConstraintSetContains = 'set_contains'
export const ConstraintSetContainsAll = 'set_contains_all'
export const ConstraintSetContainsAny = 'set_contains_any'
export const ConstraintAttributeIsSet = 'is_set'
export const ConstraintAttributeIsNotSet = 'is_not_set'

/** The only periodic spec type. */
export const PeriodicSpecCron = 'cron'

export const DispatchPayloadForbidden = 'forbidden'
export const DispatchPayloadOptional = 'optional'
export const DispatchPayloadRequired = 'required'

export const RestartPolicyModeDelay = 'delay'
export const RestartPolicyModeFail = 'fail'

export const ReschedulePolicyDelayConstant = 'constant'
export const ReschedulePolicyDelayExponential = 'exponential'
export const ReschedulePolicyDelayFibonacci = 'fibonacci'

export const UpdateStrategyHealthCheckChecks = 'checks'
export const UpdateStrategyHealthCheckTaskStates = 'task_states'
export const UpdateStrategyHealthCheckManual = 'manual'

/** Dynamic ports are drawn from [MinDynamicPort, MaxDynamicPort]. */
export const MinDynamicPort = 20000
export const MaxDynamicPort = 32000
/** Attempts at a random free dynamic port before the index scans for one. */
export const MaxRandPortAttempts = 20
/** Highest valid port number + 1: ports are 0..MaxValidPort-1. */
export const MaxValidPort = 65536

export const TaskLifecycleHookPrestart = 'prestart'
export const TaskLifecycleHookPoststart = 'poststart'

/** Defaults applied by canonicalization. */
export const DefaultKillTimeout = 5_000_000_000
export const DeploymentStatusPending = 'pending'
