import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { logStoreCompliance, stableStoreCompliance } from '../compliance/log-store.js'
import { WriteAheadLog } from '../../src/store/wal.js'
import { LogCache } from '../../src/store/log-cache.js'
import type { LogStore, StableStore } from '../../src/types.js'

const dirs = new Map<object, string>()

async function openWal(): Promise<WriteAheadLog> {
  const dir = await mkdtemp(join(tmpdir(), 'nomadic-wal-compliance-'))
  const wal = await WriteAheadLog.open(dir, { segmentBytes: 4096 })
  dirs.set(wal, dir)
  return wal
}

async function cleanup(store: LogStore | StableStore): Promise<void> {
  const wal = store instanceof LogCache ? (store.store as WriteAheadLog) : (store as WriteAheadLog)
  await wal.close()
  await rm(dirs.get(wal)!, { recursive: true, force: true })
}

logStoreCompliance('WriteAheadLog', openWal, cleanup)
stableStoreCompliance('WriteAheadLog', openWal, cleanup)
logStoreCompliance('LogCache over WriteAheadLog', async () => new LogCache(await openWal(), 8), cleanup)
