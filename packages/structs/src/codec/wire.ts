import { MsgpackError, decode, encode } from '@nomadic/msgpack'
import { CodecError } from '../errors.js'
import { GoTime, GoZeroTimeMs, marshalGoTime, unmarshalGoTime } from './go-time.js'

/**
 * How Nomad's values map onto msgpack (what `structs.MsgpackHandle` does in Go):
 * - structs are maps keyed by Go field name; embedded structs (WriteRequest, AllocUpdateRequest…)
 *   are flattened, which the TypeScript types already are;
 * - strings and `[]byte` are old-spec raw strings (the msgpack package writes them so);
 * - `time.Duration` and `int64` timestamps are integers;
 * - `time.Time` is the 15-byte `MarshalBinary` form inside a raw string (it is a
 *   BinaryMarshaler and Nomad sets `TimeNotBuiltin`); here it is a `Date` ({@link GoTime});
 * - Allocation, Evaluation and Plan carry `codec:",omitempty"`: their zero fields are left out.
 *
 * Field names are how this layer tells a time from a string: the keys below hold `time.Time`
 * in every Nomad struct that has them, and `[]byte` for the bytes keys.
 */
const TIME_KEYS = new Set([
  'Timestamp',
  'ForceDeadline',
  'StartedAt',
  'LastRestart',
  'FinishedAt',
  'WaitUntil',
  'RequireProgressBy',
  'UpdateTime',
  'Time',
  'Launch',
  'CreateTime',
  'Established',
])
const BYTES_KEYS = new Set(['Payload', 'Hash'])
const RAW_AS_BYTES = new Set([...TIME_KEYS, ...BYTES_KEYS])

/** Keys whose object values (or array elements) are Allocations. */
const ALLOC_KEYS = new Set(['Alloc', 'AllocsUpdated', 'AllocsStopped', 'AllocsPreempted', 'NodePreemptions', 'NodeUpdate', 'NodeAllocation'])
/** Keys whose object values (or array elements) are Evaluations. */
const EVAL_KEYS = new Set(['Eval', 'Evals', 'PreemptionEvals', 'CreatedEvals'])
/** Keys holding a Plan. */
const PLAN_KEYS = new Set(['Plan'])
/** Map-typed fields of those three structs: omitempty drops them when empty (struct fields it keeps). */
const MAP_FIELDS = new Set(['TaskStates', 'TaskResources', 'FailedTGAllocs', 'ClassEligibility', 'QueuedAllocations', 'NodeUpdate', 'NodeAllocation', 'NodePreemptions'])

type Kind = 'alloc' | 'eval' | 'plan' | undefined

function kindOf(key: string | undefined, parentKind: Kind): Kind {
  if (key === undefined) return undefined
  // Inside a plan, NodeUpdate/NodeAllocation/NodePreemptions are maps of node → allocations.
  if (ALLOC_KEYS.has(key) && parentKind !== 'alloc') return 'alloc'
  if (EVAL_KEYS.has(key)) return 'eval'
  if (PLAN_KEYS.has(key)) return 'plan'
  return undefined
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

function isEmpty(key: string, v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false || v === 0n) return true
  if (Array.isArray(v) || v instanceof Uint8Array) return v.length === 0
  if (isPlainObject(v) && MAP_FIELDS.has(key)) return Object.keys(v).length === 0
  return false
}

/** Converts a value to what the msgpack encoder writes: Dates to Go binary times, omitempty applied. */
export function toWire(value: unknown, key?: string, kind?: Kind): unknown {
  if (value instanceof Date) return marshalGoTime(value)
  if (value instanceof Uint8Array || value === null || typeof value !== 'object') return value
  // Elements of a list have no key of their own: their kind comes from the list's key.
  if (Array.isArray(value)) return value.map((item) => toWire(item, undefined, kind))
  if (!isPlainObject(value)) return value
  const obj = value as Record<string, unknown>
  const out: Record<string, unknown> = {}
  // A map of node ID → allocations keeps its keys; the allocations inside are structs.
  if (kind === 'alloc' && key !== undefined && (key === 'NodeUpdate' || key === 'NodeAllocation' || key === 'NodePreemptions')) {
    for (const k in obj) out[k] = toWire(obj[k], undefined, 'alloc')
    return out
  }
  const omitEmpty = kind !== undefined
  for (const k in obj) {
    const v = obj[k]
    if (omitEmpty && isEmpty(k, v)) continue
    out[k] = v !== null && typeof v === 'object' ? toWire(v, k, kindOf(k, kind)) : v
  }
  return out
}

/** Zero values Go gives the fields an omitempty encoding left out. */
function allocDefaults(): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  for (const k of ['ID', 'Namespace', 'EvalID', 'Name', 'NodeID', 'NodeName', 'JobID', 'TaskGroup', 'DesiredStatus', 'DesiredDescription', 'ClientStatus', 'ClientDescription', 'PreviousAllocation', 'NextAllocation', 'DeploymentID', 'FollowupEvalID', 'PreemptedByAllocation']) o[k] = ''
  for (const k of ['CreateIndex', 'ModifyIndex', 'AllocModifyIndex', 'CreateTime', 'ModifyTime']) o[k] = 0
  o['DesiredTransition'] = {}
  return o
}

function evalDefaults(): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  for (const k of ['ID', 'Namespace', 'Type', 'TriggeredBy', 'JobID', 'NodeID', 'DeploymentID', 'Status', 'StatusDescription', 'NextEval', 'PreviousEval', 'BlockedEval', 'QuotaLimitReached', 'LeaderACL']) o[k] = ''
  for (const k of ['Priority', 'JobModifyIndex', 'NodeModifyIndex', 'Wait', 'SnapshotIndex', 'CreateIndex', 'ModifyIndex', 'CreateTime', 'ModifyTime']) o[k] = 0
  o['EscapedComputedClass'] = false
  o['AnnotatePlan'] = false
  o['WaitUntil'] = new GoTime(GoZeroTimeMs, 0, -1)
  return o
}

function planDefaults(): Record<string, unknown> {
  return { EvalID: '', EvalToken: '', Priority: 0, AllAtOnce: false, SnapshotIndex: 0 }
}

/** Options of {@link fromWire}. */
export interface FromWireOptions {
  /** Keep 64-bit integers beyond 2^53 as `bigint` instead of rounding them to numbers. */
  exactInt64?: boolean
}

/**
 * Converts decoded msgpack to the data model: Go times to {@link GoTime}, 64-bit integers to
 * numbers, omitted zero fields filled in. Works in place on the decoded tree (which the caller
 * owns) and returns it.
 */
export function fromWire(value: unknown, options: FromWireOptions, key?: string, kind?: Kind): unknown {
  if (typeof value === 'bigint') return options.exactInt64 === true ? value : Number(value)
  if (value instanceof Uint8Array) {
    if (key !== undefined && TIME_KEYS.has(key)) return unmarshalGoTime(value)
    return value
  }
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = fromWire(value[i], options, undefined, kind)
    return value
  }
  const obj = value as Record<string, unknown>
  if (kind === 'alloc' && key !== undefined && (key === 'NodeUpdate' || key === 'NodeAllocation' || key === 'NodePreemptions')) {
    for (const k in obj) obj[k] = fromWire(obj[k], options, undefined, 'alloc')
    return obj
  }
  for (const k in obj) {
    const v = obj[k]
    if (v !== null && (typeof v === 'object' || typeof v === 'bigint')) obj[k] = fromWire(v, options, k, kindOf(k, kind))
  }
  if (kind === 'alloc') fill(obj, allocDefaults())
  else if (kind === 'eval') fill(obj, evalDefaults())
  else if (kind === 'plan') fill(obj, planDefaults())
  return obj
}

function fill(target: Record<string, unknown>, defaults: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(defaults)) if (target[k] === undefined) target[k] = v
}

/** Limits on what a decode accepts; defaults suit Raft log entries and RPC bodies. */
export interface DecodeLimits extends FromWireOptions {
  /** Largest input accepted, in bytes (default 64 MiB). */
  maxBytes?: number
  /** Largest array or map length (default 1,048,576). */
  maxItems?: number
  /** Deepest nesting (default 64). */
  maxDepth?: number
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024
const DEFAULT_MAX_ITEMS = 1 << 20
const DEFAULT_MAX_DEPTH = 64

/** Encodes one Nomad value (a request, a struct) as Go's MsgpackHandle would. */
export function encodeValue(value: unknown): Buffer {
  try {
    return encode(toWire(value))
  } catch (err) {
    if (err instanceof MsgpackError) throw new CodecError(`cannot encode: ${err.message}`)
    throw err
  }
}

/**
 * Decodes one Nomad value from msgpack, within limits: input larger than `maxBytes`, a length
 * beyond the bytes present, nesting beyond `maxDepth` or trailing bytes are a {@link CodecError},
 * never an allocation.
 */
export function decodeValue(bytes: Uint8Array, limits: DecodeLimits = {}, offset = 0): unknown {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES
  if (bytes.length - offset > maxBytes) throw new CodecError(`message of ${bytes.length - offset} bytes exceeds the limit of ${maxBytes}`, offset)
  let raw: unknown
  try {
    raw = decode(offset === 0 ? bytes : bytes.subarray(offset), {
      raw: 'string',
      bytesKeys: RAW_AS_BYTES,
      maxItems: limits.maxItems ?? DEFAULT_MAX_ITEMS,
      maxDepth: limits.maxDepth ?? DEFAULT_MAX_DEPTH,
    })
  } catch (err) {
    if (err instanceof MsgpackError) throw new CodecError(`invalid msgpack: ${err.message}`, err.offset < 0 ? -1 : err.offset + offset)
    throw err
  }
  return fromWire(raw, limits)
}
