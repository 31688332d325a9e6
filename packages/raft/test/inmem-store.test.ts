import { InmemStore } from '../src/store/inmem.js'
import { logStoreCompliance, stableStoreCompliance } from './compliance/log-store.js'

logStoreCompliance('InmemStore', async () => new InmemStore())
stableStoreCompliance('InmemStore', async () => new InmemStore())
