/**
 * Test support: the deterministic simulated network and a helper that runs a whole cluster of
 * member lists on it in simulated time. Imported as `@nomadic/gossip/testing`.
 */
export { SimNetwork, SimTransport } from './transport/sim.js'
export type { SimNetworkOptions, SimNetworkStats } from './transport/sim.js'
export { SimCluster, SimSerfCluster, simAddress } from './sim-cluster.js'
export type { SimClusterOptions, SimNetOptions } from './sim-cluster.js'
