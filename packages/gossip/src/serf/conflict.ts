import { ipToBytes } from '../wire/ip.js'
import { internalQueryName } from './internal-query.js'
import { decodeConflictResponse } from './messages.js'
import type { Serf } from './serf.js'

/** The outcome of a name-conflict vote: answers decoded, and those naming our address. */
export interface ConflictVote {
  responses: number
  matching: number
  /** A majority of the answers agree with us. */
  won: boolean
}

/**
 * Asks every member who owns this node's name (the `_serf_conflict` query) and counts the
 * answers that name our own address; serf's loser shuts itself down.
 */
export async function resolveNameConflict(serf: Serf): Promise<ConflictVote> {
  const local = serf.memberlist.localNode()
  const ourAddr = ipToBytes(local.addr)
  const q = serf.query(internalQueryName('conflict'), Buffer.from(serf.name))
  await q.done
  let responses = 0
  let matching = 0
  for (const payload of q.responses.values()) {
    let member
    try {
      member = decodeConflictResponse(payload)
    } catch {
      continue
    }
    responses++
    if (member !== null && sameIP(member.addr, ourAddr) && member.port === local.port) matching++
  }
  const majority = Math.floor(responses / 2) + 1
  return { responses, matching, won: matching >= majority }
}

const V4_IN_V6 = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff])

/** Compares addresses as Go's net.IP.Equal does: a v4 address equals its v4-in-v6 form. */
function sameIP(a: Buffer, b: Buffer): boolean {
  const v4 = (x: Buffer): Buffer => (x.length === 16 && x.subarray(0, 12).equals(V4_IN_V6) ? x.subarray(12) : x)
  return v4(a).equals(v4(b))
}
