export type { SchedulerConfiguration, State, SubmitResult, Planner, Scheduler } from './interfaces.js'
