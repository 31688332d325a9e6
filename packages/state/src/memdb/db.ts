import { emptyTree, forPrefix, type Tree } from './btree.js'
import { KEY_SEPARATOR, WatchRegistry, watchSlot, type ChangeSet, type WatchSet } from './watch.js'

/**
 * How one index finds its key in an object. `key` returns undefined when the object is not in
 * this index (go-memdb's AllowMissing). Compound keys join their parts with {@link KEY_SEPARATOR}.
 */
export interface IndexSchema<T> {
  key(obj: T): string | undefined
  /**
   * A unique index maps each key to one object. A non-unique one maps each key to a tree of
   * the objects with that key, ordered by primary key: an object's place is `key \0 primary`,
   * without the write path ever building that string.
   */
  unique: boolean
}

/** A table: its name and indexes; `id` is the primary index and must be unique and never missing. */
export interface TableSchema<T = unknown> {
  name: string
  indexes: { id: IndexSchema<T> } & Record<string, IndexSchema<T>>
}

/**
 * The trees of one table, one per index, keyed by index name: key → object for unique indexes,
 * key → (primary → object) for non-unique ones. Never mutated once a snapshot has seen them.
 */
type TableTrees = Record<string, Tree<unknown>>
type Inner = Tree<unknown>

/** The committed state of the whole database: a new object on every commit. */
export interface DBRoot {
  readonly version: number
  readonly tables: ReadonlyMap<string, TableTrees>
  /**
   * Set once a snapshot was handed out for this root: its tree objects must then never change,
   * so the next write clones them (copy-on-write). Until then the next write may change them in
   * place, keeping an undo log for abort.
   */
  exposed: boolean
  /**
   * Tables whose tree objects this root alone holds (cloned since the last exposed root). Only
   * these may be written in place; tables untouched since a snapshot still share its trees.
   */
  readonly owned: ReadonlySet<string>
}

/** Thrown when a write breaks the schema (a missing primary key, a duplicate unique key). */
export class SchemaError extends Error {
  readonly code = 'ERR_STATE_SCHEMA'
  constructor(message: string) {
    super(message)
    this.name = 'SchemaError'
  }
}

/** Joins the parts of a compound index key. */
export function compoundKey(...parts: string[]): string {
  if (parts.length === 2) return parts[0] + KEY_SEPARATOR + parts[1]
  return parts.join(KEY_SEPARATOR)
}

/**
 * A read view of one committed root: every read is immutable, whatever is written later.
 * Reads take an optional {@link WatchSet} that records what they depended on.
 */
export class ReadView {
  constructor(
    protected readonly db: MemDB,
    protected root: DBRoot,
  ) {}

  /** @internal the root this view reads */
  get dbRoot(): DBRoot {
    return this.root
  }

  /** The commit counter of the root this view reads. */
  get version(): number {
    return this.root.version
  }

  protected trees(table: string): TableTrees {
    const trees = this.root.tables.get(table)
    if (trees === undefined) throw new SchemaError(`unknown table ${JSON.stringify(table)}`)
    return trees
  }

  private tree(table: string, index: string): Tree<unknown> {
    const tree = this.trees(table)[index]
    if (tree === undefined) throw new SchemaError(`unknown index ${JSON.stringify(index)} on table ${JSON.stringify(table)}`)
    return tree
  }

  /** The object whose unique `index` key is `key` (go-memdb First on a unique index). */
  get<T>(table: string, index: string, key: string, ws?: WatchSet): T | undefined {
    const tree = this.tree(table, index)
    if (!this.db.indexSchema(table, index).unique) throw new SchemaError(`index ${table}.${index} is not unique`)
    ws && this.db.registry.register(ws, table, index, 'exact', key, this.root.version)
    return tree.get(key) as T | undefined
  }

  /** Every object whose `index` key equals `key`, in primary-key order for non-unique indexes. */
  getAll<T>(table: string, index: string, key: string, ws?: WatchSet): T[] {
    if (this.db.indexSchema(table, index).unique) {
      const one = this.get<T>(table, index, key, ws)
      return one === undefined ? [] : [one]
    }
    const tree = this.tree(table, index)
    ws && this.db.registry.register(ws, table, index, 'prefix', key + KEY_SEPARATOR, this.root.version)
    const inner = tree.get(key) as Inner | undefined
    return inner === undefined ? [] : (inner.values() as T[])
  }

  /**
   * Every object whose place in `index` starts with `prefix`, in key order. On a non-unique
   * index the prefix may cover the index key and the separator after it, not the primary key.
   */
  byPrefix<T>(table: string, index: string, prefix: string, ws?: WatchSet): T[] {
    const tree = this.tree(table, index)
    ws && this.db.registry.register(ws, table, index, 'prefix', prefix, this.root.version)
    const out: T[] = []
    if (this.db.indexSchema(table, index).unique) {
      forPrefix(tree, prefix, (_k, v) => {
        out.push(v as T)
      })
      return out
    }
    const collect = (inner: Inner): void => {
      inner.forEach((v) => {
        out.push(v as T)
      })
    }
    // The key that equals the prefix less its trailing separator sorts before the others.
    if (prefix.endsWith(KEY_SEPARATOR)) {
      const exact = tree.get(prefix.slice(0, -1)) as Inner | undefined
      if (exact !== undefined) collect(exact)
    }
    forPrefix(tree, prefix, (_k, inner) => collect(inner as Inner))
    return out
  }

  /** Every object of `table` in primary-key order. */
  all<T>(table: string, ws?: WatchSet): T[] {
    return this.byPrefix<T>(table, 'id', '', ws)
  }

  /** Number of objects in `table`. */
  count(table: string): number {
    return this.tree(table, 'id').size
  }
}

/**
 * A write transaction: reads see its own writes; `commit()` publishes a new root in one step and
 * wakes the watchers of what changed; `abort()` (or never committing) leaves the store as it was.
 */
export class WriteTxn extends ReadView {
  private readonly touched = new Set<string>()
  private readonly changes: ChangeSet = new Map()
  private readonly tables: Map<string, TableTrees>
  /** Tables this transaction may write in place: owned by a root no snapshot has seen. */
  private readonly inPlaceTables: ReadonlySet<string>
  /**
   * Changes made in place, undone in reverse on abort: flat triples of tree, key and the value
   * before (undefined when the key was absent), to keep garbage low on the write path.
   */
  private readonly undo: unknown[] = []
  /** Stamped on the groups this transaction creates or clones: those need no undo entries. */
  private readonly serial = ++writeSerial
  /** Whether writes to the group {@link group} returned last need undo entries. */
  private groupLogged = false
  private done = false

  constructor(
    db: MemDB,
    base: DBRoot,
    private readonly keepUndo = true,
  ) {
    super(db, base)
    this.tables = new Map(base.tables)
    this.inPlaceTables = base.exposed ? new Set() : base.owned
    this.root = { version: base.version, tables: this.tables, exposed: false, owned: new Set() }
  }

  /** True when this transaction may write some committed trees in place (with an undo log). */
  get inPlace(): boolean {
    return this.inPlaceTables.size > 0
  }

  /** True when this transaction writes `table` in place (with an undo log). */
  writesInPlace(table: string): boolean {
    return this.inPlaceTables.has(table)
  }

  /**
   * Inserts or replaces `obj` by its primary key, keeping every index in step. A caller that
   * has just read the stored object under that key may pass it as `current` (undefined when
   * there is none) to save the lookup.
   */
  insert<T>(table: string, obj: T, ...current: [] | [T | undefined]): void {
    this.ensureOpen()
    const schema = this.db.tableSchema(table) as TableSchema<T>
    const primary = schema.indexes.id.key(obj)
    if (primary === undefined) throw new SchemaError(`object for table ${table} has no primary key`)
    const trees = this.writable(table)
    const existing = current.length === 1 ? current[0] : (trees['id']!.get(primary) as T | undefined)
    for (const name in schema.indexes) {
      const index = schema.indexes[name]!
      const tree = trees[name]!
      const oldKey = existing === undefined ? undefined : index.key(existing)
      const newKey = index.key(obj)
      if (!index.unique) {
        if (oldKey !== undefined && oldKey !== newKey) this.removeFromGroup(table, name, tree, oldKey, primary, existing)
        if (newKey !== undefined) this.addToGroup(table, name, tree, newKey, primary, obj, oldKey === newKey ? existing : undefined)
        continue
      }
      if (oldKey !== undefined && oldKey !== newKey) {
        this.remove(table, tree, oldKey, existing)
        this.record(table, name, false, oldKey)
      }
      if (newKey !== undefined) {
        const holder = name === 'id' ? existing : tree.get(newKey)
        if (name !== 'id' && oldKey !== newKey && holder !== undefined) {
          throw new SchemaError(`duplicate key ${JSON.stringify(newKey)} in unique index ${table}.${name}`)
        }
        if (this.logsUndo(table)) this.undo.push(tree, newKey, holder)
        tree.set(newKey, obj)
        this.record(table, name, false, newKey)
      }
    }
  }

  /** Deletes the object with primary key `primary`; returns it, or undefined when absent. */
  delete<T>(table: string, primary: string): T | undefined {
    this.ensureOpen()
    const schema = this.db.tableSchema(table) as TableSchema<T>
    const existing = this.trees(table)['id']!.get(primary) as T | undefined
    if (existing === undefined) return undefined
    const trees = this.writable(table)
    for (const name in schema.indexes) {
      const index = schema.indexes[name]!
      const key = index.key(existing)
      if (key === undefined) continue
      if (index.unique) {
        this.remove(table, trees[name]!, key, existing)
        this.record(table, name, false, key)
      } else {
        this.removeFromGroup(table, name, trees[name]!, key, primary, existing)
      }
    }
    return existing
  }

  /** Publishes the writes as the store's new root and wakes the watchers of what changed. */
  commit(): void {
    this.ensureOpen()
    this.done = true
    if (this.touched.size === 0) {
      this.db.release(this)
      return
    }
    const base = this.db.root
    const owned = new Set(base.exposed ? [] : base.owned)
    for (const t of this.touched) owned.add(t)
    this.db.publish({ version: base.version + 1, tables: this.tables, exposed: false, owned }, this.changes)
  }

  /** Drops the writes; the store is unchanged. */
  abort(): void {
    if (this.done) return
    this.done = true
    for (let i = this.undo.length - 3; i >= 0; i -= 3) {
      const tree = this.undo[i] as Tree<unknown>
      const key = this.undo[i + 1] as string
      const previous = this.undo[i + 2]
      if (previous === undefined) tree.delete(key)
      else tree.set(key, previous)
    }
    this.db.release(this)
  }

  /** Whether writes to `table`'s own trees need undo entries (they are written in place). */
  private logsUndo(table: string): boolean {
    return this.keepUndo && this.inPlaceTables.has(table)
  }

  private remove(table: string, tree: Tree<unknown>, key: string, previous: unknown): void {
    if (this.logsUndo(table)) this.undo.push(tree, key, previous)
    tree.delete(key)
  }

  /**
   * The group of objects under `key` in a non-unique index, ready to write. A group no snapshot
   * can see (created since the last snapshot) is written in place, with undo entries when the
   * transaction keeps them; any other is cloned (O(1), copy-on-write) and the clone put in its
   * place, so a group a snapshot holds never changes. `logged` says whether writes to the
   * returned group need undo entries.
   */
  private group(table: string, tree: Tree<unknown>, key: string, create: boolean): Inner | undefined {
    const current = tree.get(key) as Inner | undefined
    if (current !== undefined) {
      // The mark is the serial of the transaction that made the group (serials only grow).
      if (current.mark === this.serial || current.mark > this.db.ownSince) {
        this.groupLogged = current.mark !== this.serial && this.keepUndo
        return current
      }
    } else if (!create) {
      return undefined
    }
    const group = current === undefined ? emptyTree<unknown>() : current.clone()
    group.mark = this.serial
    if (this.logsUndo(table)) this.undo.push(tree, key, current)
    tree.set(key, group)
    this.groupLogged = false
    return group
  }

  private addToGroup(table: string, index: string, tree: Tree<unknown>, key: string, primary: string, obj: unknown, previous: unknown): void {
    const group = this.group(table, tree, key, true)!
    if (this.groupLogged) this.undo.push(group, primary, previous)
    group.set(primary, obj)
    this.record(table, index, true, key, primary)
  }

  private removeFromGroup(table: string, index: string, tree: Tree<unknown>, key: string, primary: string, previous: unknown): void {
    const group = this.group(table, tree, key, false)
    if (group === undefined) return
    const logged = this.groupLogged
    if (logged) this.undo.push(group, primary, previous)
    if (!group.delete(primary)) return
    if (group.size === 0) {
      if (logged) this.undo.push(tree, key, group)
      tree.delete(key)
    }
    this.record(table, index, true, key, primary)
  }

  private ensureOpen(): void {
    if (this.done) throw new SchemaError('transaction already committed or aborted')
  }

  private writable(table: string): TableTrees {
    if (!this.touched.has(table)) {
      this.touched.add(table)
      if (!this.inPlaceTables.has(table)) {
        const committed = this.trees(table)
        const copy: TableTrees = {}
        // clone() is O(1): the trees share every node until one side writes (copy-on-write).
        for (const name in committed) copy[name] = committed[name]!.clone()
        this.tables.set(table, copy)
      }
    }
    return this.tables.get(table)!
  }

  private record(table: string, index: string, paired: boolean, key: string, primary?: string): void {
    const slot = this.db.slot(table, index)
    let changed = this.changes.get(slot)
    if (changed === undefined) {
      changed = { paired, keys: [] }
      this.changes.set(slot, changed)
    }
    if (paired) changed.keys.push(key, primary!)
    else changed.keys.push(key)
  }
}

/** Serial of the last write transaction started in this process, across every database. */
let writeSerial = 0

/**
 * An in-memory MVCC database in go-memdb's shape: tables of objects with unique and non-unique
 * string indexes, one writer at a time, lock-free immutable snapshots, and watch sets.
 */
export class MemDB {
  /** @internal the committed root */
  root: DBRoot
  /** @internal who waits on what */
  readonly registry = new WatchRegistry()
  /**
   * @internal groups of non-unique indexes marked with a transaction serial above this one were
   * made since the last snapshot (or since this database began): no snapshot holds them, so
   * writes may change them in place.
   */
  ownSince = writeSerial
  private readonly schemas = new Map<string, TableSchema<unknown>>()
  /** Watch-registry slot names by table and index, built once (not joined on every write). */
  private readonly slots = new Map<string, Record<string, string>>()
  private writer: WriteTxn | undefined

  constructor(tables: ReadonlyArray<TableSchema<any>>) {
    const trees = new Map<string, TableTrees>()
    for (const table of tables) {
      if (!table.indexes.id?.unique) throw new SchemaError(`table ${table.name} needs a unique id index`)
      this.schemas.set(table.name, table)
      const t: TableTrees = {}
      const slots: Record<string, string> = {}
      for (const name in table.indexes) {
        t[name] = emptyTree()
        slots[name] = watchSlot(table.name, name)
      }
      this.slots.set(table.name, slots)
      trees.set(table.name, t)
    }
    this.root = { version: 0, tables: trees, exposed: false, owned: new Set(trees.keys()) }
  }

  /** @internal */
  tableSchema(table: string): TableSchema<unknown> {
    const schema = this.schemas.get(table)
    if (schema === undefined) throw new SchemaError(`unknown table ${JSON.stringify(table)}`)
    return schema
  }

  /** @internal the watch-registry slot of an index */
  slot(table: string, index: string): string {
    return this.slots.get(table)![index]!
  }

  /** @internal */
  indexSchema(table: string, index: string): IndexSchema<unknown> {
    const schema = this.tableSchema(table).indexes[index]
    if (schema === undefined) throw new SchemaError(`unknown index ${JSON.stringify(index)} on table ${JSON.stringify(table)}`)
    return schema
  }

  /** An immutable view of everything committed so far; O(1) whatever the size. */
  snapshot(): ReadView {
    if (this.writer?.inPlace) throw new SchemaError('cannot take a snapshot while an in-place write transaction is open')
    if (!this.root.exposed) {
      this.root.exposed = true
      this.ownSince = writeSerial
    }
    return new ReadView(this, this.root)
  }

  /**
   * @internal a view for a read that ends before the next write (it does not pin the root, so
   * the next transaction may still write in place).
   */
  peek(): ReadView {
    return new ReadView(this, this.root)
  }

  /**
   * Starts the one write transaction; throws while another is open. `undo: false` skips the
   * undo log, for a transaction whose database is thrown away when it fails (a restore): an
   * abort then leaves the trees written so far.
   */
  txn(options: { undo?: boolean } = {}): WriteTxn {
    if (this.writer !== undefined) throw new SchemaError('another write transaction is open')
    this.writer = new WriteTxn(this, this.root, options.undo ?? true)
    return this.writer
  }

  /** @internal */
  publish(root: DBRoot, changes: ChangeSet): void {
    this.root = root
    this.writer = undefined
    this.registry.notify(root.version, changes)
  }

  /** @internal */
  release(txn: WriteTxn): void {
    if (this.writer === txn) this.writer = undefined
  }
}
