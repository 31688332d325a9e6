import type { Query, Serf } from './serf.js'
import { ipToBytes } from '../wire/ip.js'
import { MEMBER_STATUS_CODE } from './member-status.js'
import { decodeKeyRequest, encodeConflictResponse, encodeKeyResponse, type NodeKeyResponse } from './messages.js'

/** Queries serf answers itself; they never reach the application. */
export const INTERNAL_QUERY_PREFIX = '_serf_'
export const internalQueryName = (name: string): string => INTERNAL_QUERY_PREFIX + name

// list-keys answers are cut to fit the response size limit (keys are ≥ 25 bytes in base64).
const MIN_ENCODED_KEY_LENGTH = 25

/** Answers `_serf_` queries: ping (nothing to say), conflict (who holds a name), the keyring. */
export function handleInternalQuery(serf: Serf, q: Query): void {
  const op = q.name.slice(INTERNAL_QUERY_PREFIX.length)
  if (op === 'ping') return
  if (op === 'conflict') {
    answerConflict(serf, q)
    return
  }
  if (op !== 'install-key' && op !== 'use-key' && op !== 'remove-key' && op !== 'list-keys') return
  const resp: NodeKeyResponse = { result: false, message: '', keys: [], primaryKey: '' }
  const ring = serf.keyring()
  try {
    if (ring === undefined) {
      resp.message = op === 'list-keys' ? 'Keyring is empty (encryption not enabled)' : 'No keyring to modify (encryption not enabled)'
    } else if (op === 'list-keys') {
      resp.keys = ring.getKeys().map((k) => k.toString('base64'))
      resp.primaryKey = ring.getPrimaryKey()?.toString('base64') ?? ''
      resp.result = true
    } else {
      const key = decodeKeyRequest(q.payload)
      if (op === 'install-key') ring.addKey(key)
      else if (op === 'use-key') ring.useKey(key)
      else ring.removeKey(key)
      resp.result = true
    }
  } catch (err) {
    resp.message = (err as Error).message
  }
  if (op === 'list-keys') {
    const total = resp.keys.length
    const max = Math.floor(1024 / MIN_ENCODED_KEY_LENGTH)
    for (let i = Math.min(max, total); i >= 0; i--) {
      try {
        q.respond(encodeKeyResponse(resp))
        return
      } catch {
        resp.keys = resp.keys.slice(0, i)
        resp.message = `truncated key list response, showing first ${i} of ${total} keys`
      }
    }
    return
  }
  try {
    q.respond(encodeKeyResponse(resp))
  } catch {
    // past the deadline: the originator counts us as missing
  }
}

/** Tells the asker what we know of the contested name; the node it is about stays silent. */
function answerConflict(serf: Serf, q: Query): void {
  const node = q.payload.toString('utf8')
  if (node === serf.name) return
  const m = serf.memberState(node)
  const wire = m === undefined ? null : {
    name: m.name, addr: ipToBytes(m.addr), port: m.port, tags: m.tags, status: MEMBER_STATUS_CODE[m.status],
    protocolMin: m.protocolMin, protocolMax: m.protocolMax, protocolCur: m.protocolCur,
    delegateMin: m.delegateMin, delegateMax: m.delegateMax, delegateCur: m.delegateCur,
  }
  try {
    q.respond(encodeConflictResponse(wire))
  } catch {
    // past the deadline or too large: the asker counts one answer fewer
  }
}
