/**
 * Snapshots on disk in hashicorp/raft's FileSnapshotStore layout, so a data directory can move
 * between the Go and the TypeScript implementation:
 *
 * ```
 * <base>/snapshots/<term>-<index>-<unix ms>/meta.json   Go encoding/json of SnapshotMeta + CRC
 * <base>/snapshots/<term>-<index>-<unix ms>/state.bin   the FSM's bytes
 * ```
 *
 * A snapshot is written into `<name>.tmp`, synced, then renamed into place, so a crash leaves
 * either the whole snapshot or a `.tmp` directory that is ignored (and removed on the next open).
 */
import { createReadStream } from 'node:fs'
import { mkdir, open, readFile, readdir, rename, rm, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { noopLogger, systemClock, type Clock, type Logger } from '@nomadic/runtime'
import { newSnapshotMeta } from './meta.js'
import { RaftError } from '../errors.js'
import type {
  Configuration,
  OpenedSnapshot,
  ServerSuffrage,
  SnapshotMeta,
  SnapshotSink,
  SnapshotStore,
  SnapshotVersion,
  Transport,
} from '../types.js'
import { Crc64 } from './file-crc64.js'

const SNAPSHOT_DIR = 'snapshots'
const META_FILE = 'meta.json'
const STATE_FILE = 'state.bin'
const TMP_SUFFIX = '.tmp'
const PERM_TEST = 'permTest'

/** A snapshot failed its checks or could not be read; `id` names it. */
export class SnapshotError extends RaftError {
  constructor(readonly id: string, message: string) {
    super('RAFT_SNAPSHOT', message)
  }
}

/** Options of {@link FileSnapshotStore.open}. */
export interface FileSnapshotStoreOptions {
  /** Names snapshots by `clock.now()` (ms), as Go names them by wall time. */
  clock?: Clock
  logger?: Logger
  /** Skip fsync (tests only). */
  noSync?: boolean
}

/** meta.json as Go writes it: SnapshotMeta's fields in struct order, then CRC (base64). */
interface MetaJson {
  Version: number
  ID: string
  Index: number
  Term: number
  Peers: string | null
  Configuration: { Servers: Array<{ Suffrage: number; ID: string; Address: string }> | null }
  ConfigurationIndex: number
  Size: number
  CRC: string | null
}

function toJson(meta: SnapshotMeta, crc: Buffer | null): string {
  const json: MetaJson = {
    Version: meta.Version,
    ID: meta.ID,
    Index: meta.Index,
    Term: meta.Term,
    Peers: meta.Peers.length === 0 ? null : meta.Peers.toString('base64'),
    Configuration: {
      Servers: meta.Configuration.Servers.length === 0
        ? null
        : meta.Configuration.Servers.map((s) => ({ Suffrage: s.Suffrage, ID: s.ID, Address: s.Address })),
    },
    ConfigurationIndex: meta.ConfigurationIndex,
    Size: meta.Size,
    CRC: crc === null ? null : crc.toString('base64'),
  }
  return JSON.stringify(json) + '\n'
}

function fromJson(text: string): { meta: SnapshotMeta; crc: Buffer | null } {
  const j = JSON.parse(text) as Partial<MetaJson>
  const num = (v: unknown, field: string): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`meta.json: ${field} is not a non-negative integer`)
    return v
  }
  if (typeof j.ID !== 'string') throw new Error('meta.json: ID is not a string')
  const servers = j.Configuration?.Servers ?? []
  if (!Array.isArray(servers)) throw new Error('meta.json: Configuration.Servers is not an array')
  return {
    meta: {
      Version: num(j.Version, 'Version') as SnapshotVersion,
      ID: j.ID,
      Index: num(j.Index, 'Index'),
      Term: num(j.Term, 'Term'),
      Peers: typeof j.Peers === 'string' ? Buffer.from(j.Peers, 'base64') : Buffer.alloc(0),
      Configuration: {
        Servers: servers.map((s) => ({ Suffrage: (s.Suffrage ?? 0) as ServerSuffrage, ID: String(s.ID ?? ''), Address: String(s.Address ?? '') })),
      },
      ConfigurationIndex: num(j.ConfigurationIndex ?? 0, 'ConfigurationIndex'),
      Size: num(j.Size ?? 0, 'Size'),
    },
    crc: typeof j.CRC === 'string' ? Buffer.from(j.CRC, 'base64') : null,
  }
}

/** Newest first: by term, then index, then ID (hashicorp's order). */
function newestFirst(a: SnapshotMeta, b: SnapshotMeta): number {
  if (a.Term !== b.Term) return b.Term - a.Term
  if (a.Index !== b.Index) return b.Index - a.Index
  return a.ID < b.ID ? 1 : a.ID > b.ID ? -1 : 0
}

/**
 * hashicorp's FileSnapshotStore: keeps the newest `retain` snapshots (Nomad keeps 2), checks
 * every snapshot's CRC-64 before handing it out.
 *
 * @example
 * const snapshots = await FileSnapshotStore.open('/var/lib/app/raft', 2)
 */
export class FileSnapshotStore implements SnapshotStore {
  private constructor(
    /** `<base>/snapshots`. */
    readonly path: string,
    readonly retain: number,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly noSync: boolean,
  ) {}

  /** Creates `<base>/snapshots` if needed, checks it is writable, removes abandoned `.tmp` directories. */
  static async open(base: string, retain: number, options: FileSnapshotStoreOptions = {}): Promise<FileSnapshotStore> {
    if (!Number.isInteger(retain) || retain < 1) throw new RangeError('must retain at least one snapshot')
    const path = join(base, SNAPSHOT_DIR)
    await mkdir(path, { recursive: true })
    const probe = join(path, PERM_TEST)
    await (await open(probe, 'w')).close()
    await rm(probe)
    for (const entry of await readdir(path)) {
      if (entry.endsWith(TMP_SUFFIX)) await rm(join(path, entry), { recursive: true, force: true })
    }
    return new FileSnapshotStore(path, retain, options.clock ?? systemClock, options.logger ?? noopLogger, options.noSync === true)
  }

  async create(
    version: SnapshotVersion,
    index: number,
    term: number,
    configuration: Configuration,
    configurationIndex: number,
    transport: Transport,
  ): Promise<SnapshotSink> {
    if (version !== 1) throw new SnapshotError('', `unsupported snapshot version ${version}`)
    const id = `${term}-${index}-${Math.floor(this.clock.now())}`
    const dir = join(this.path, id + TMP_SUFFIX)
    await mkdir(dir, { recursive: true })
    const meta = newSnapshotMeta(id, version, index, term, configuration, configurationIndex, transport)
    await this.writeMeta(dir, meta, null)
    const state = await open(join(dir, STATE_FILE), 'w')
    this.logger.info('creating new snapshot', { path: dir })
    return new FileSnapshotSink(this, dir, meta, state)
  }

  /** Snapshots newest first, at most `retain`; unreadable ones are skipped with a warning. */
  async list(): Promise<SnapshotMeta[]> {
    return (await this.readAll()).slice(0, this.retain)
  }

  private async readAll(): Promise<SnapshotMeta[]> {
    const metas: SnapshotMeta[] = []
    for (const entry of await readdir(this.path, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.endsWith(TMP_SUFFIX)) continue
      try {
        const { meta } = fromJson(await readFile(join(this.path, entry.name, META_FILE), 'utf8'))
        if (meta.Version < 0 || meta.Version > 1) {
          this.logger.warn('snapshot version not supported', { name: entry.name, version: meta.Version })
          continue
        }
        metas.push(meta)
      } catch (err) {
        this.logger.warn('failed to read snapshot metadata', { name: entry.name, error: (err as Error).message })
      }
    }
    return metas.sort(newestFirst)
  }

  /** Opens a snapshot after checking state.bin against the CRC in meta.json. */
  async open(id: string): Promise<OpenedSnapshot> {
    if (id.includes('/') || id.includes('\\') || id === '..' || id === '.') throw new SnapshotError(id, `invalid snapshot id ${id}`)
    const dir = join(this.path, id)
    let parsed: { meta: SnapshotMeta; crc: Buffer | null }
    try {
      parsed = fromJson(await readFile(join(dir, META_FILE), 'utf8'))
    } catch (err) {
      throw new SnapshotError(id, `failed to read snapshot ${id} metadata: ${(err as Error).message}`)
    }
    const statePath = join(dir, STATE_FILE)
    const crc = new Crc64()
    let size = 0
    try {
      for await (const chunk of createReadStream(statePath)) {
        crc.update(chunk as Buffer)
        size += (chunk as Buffer).length
      }
    } catch (err) {
      throw new SnapshotError(id, `failed to read snapshot ${id} state: ${(err as Error).message}`)
    }
    if (parsed.crc === null || !crc.digest().equals(parsed.crc)) {
      this.logger.error('CRC checksum failed', { id, stored: parsed.crc?.toString('hex'), computed: crc.digest().toString('hex') })
      throw new SnapshotError(id, 'CRC mismatch')
    }
    if (size !== parsed.meta.Size) throw new SnapshotError(id, `snapshot ${id} holds ${size} bytes, meta.json says ${parsed.meta.Size}`)
    return { meta: parsed.meta, reader: createReadStream(statePath) as Readable }
  }

  /**
   * The newest snapshot that opens cleanly, skipping corrupt ones (as raft does on start), or
   * undefined when there is none.
   */
  async openLatest(): Promise<OpenedSnapshot | undefined> {
    for (const meta of await this.list()) {
      try {
        return await this.open(meta.ID)
      } catch (err) {
        this.logger.warn('skipping snapshot that failed to open', { id: meta.ID, error: (err as Error).message })
      }
    }
    return undefined
  }

  /** Removes snapshots beyond the newest `retain`. */
  async reap(): Promise<void> {
    const all = await this.readAll()
    for (const meta of all.slice(this.retain)) {
      this.logger.info('reaping snapshot', { id: meta.ID })
      await rm(join(this.path, meta.ID), { recursive: true, force: true })
    }
  }

  /** @internal */
  async writeMeta(dir: string, meta: SnapshotMeta, crc: Buffer | null): Promise<void> {
    const fh = await open(join(dir, META_FILE), 'w')
    try {
      await fh.writeFile(toJson(meta, crc))
      await this.sync(fh)
    } finally {
      await fh.close()
    }
  }

  /** @internal */
  async sync(fh: FileHandle): Promise<void> {
    if (!this.noSync) await fh.sync()
  }

  /** @internal */
  async syncParent(): Promise<void> {
    if (this.noSync || process.platform === 'win32') return
    const dh = await open(this.path, 'r')
    try {
      await dh.sync()
    } finally {
      await dh.close()
    }
  }
}

/** Buffers writes into 256 KiB blocks, hashing as it goes. */
class FileSnapshotSink implements SnapshotSink {
  private readonly crc = new Crc64()
  private pending: Buffer[] = []
  private pendingBytes = 0
  private size = 0
  private done = false

  constructor(
    private readonly store: FileSnapshotStore,
    private readonly dir: string,
    private readonly meta: SnapshotMeta,
    private readonly state: FileHandle,
  ) {}

  id(): string {
    return this.meta.ID
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.done) throw new SnapshotError(this.meta.ID, 'snapshot sink is closed')
    const copy = Buffer.from(chunk)
    this.crc.update(copy)
    this.pending.push(copy)
    this.pendingBytes += copy.length
    if (this.pendingBytes >= 256 * 1024) await this.flush()
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return
    const buf = Buffer.concat(this.pending, this.pendingBytes)
    this.pending = []
    this.pendingBytes = 0
    await this.state.write(buf, 0, buf.length, this.size)
    this.size += buf.length
  }

  /** Syncs the data, writes the final meta.json, renames the directory into place, reaps old ones. */
  async close(): Promise<void> {
    if (this.done) return
    this.done = true
    try {
      await this.flush()
      await this.store.sync(this.state)
      await this.state.close()
      this.meta.Size = this.size
      await this.store.writeMeta(this.dir, this.meta, this.crc.digest())
      await rename(this.dir, this.dir.slice(0, -TMP_SUFFIX.length))
      await this.store.syncParent()
    } catch (err) {
      await this.state.close().catch(() => {})
      await rm(this.dir, { recursive: true, force: true })
      throw err
    }
    await this.store.reap()
  }

  async cancel(): Promise<void> {
    if (this.done) return
    this.done = true
    await this.state.close().catch(() => {})
    await rm(this.dir, { recursive: true, force: true })
  }
}
