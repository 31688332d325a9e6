export { Harness } from './harness.js'
export type { HarnessOptions, HarnessStore } from './harness.js'
export { InmemState } from './inmem-state.js'
