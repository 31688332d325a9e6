/**
 * @nomadic/raft/testing: the deterministic simulation of Raft clusters — simulated clock and
 * seeded randomness, a faulty network, crash/restart, scenarios, invariants, and a
 * linearizability checker.
 */
export { SimClock, SeededRandom } from '@nomadic/runtime'
export { SimCluster, SimNode, InvariantViolation } from './cluster.js'
export { SimNetwork } from './network.js'
export { KVStateMachine, encodeKVCommand } from './kv.js'
export type { KVCommand, KVResponse, ApplyListener } from './kv.js'
export { checkLinearizable, kvModel } from './linearizability.js'
export type { Operation, Model, CheckResult, KVInput, KVOutput } from './linearizability.js'
export { scenarios } from './scenarios.js'
export type { Scenario } from './scenarios.js'
export { runSeed, replayCommand, scenarioFor, formatFailure } from './run.js'
export type { SeedResult, RunSeedOptions } from './run.js'
