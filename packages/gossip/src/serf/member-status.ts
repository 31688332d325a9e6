import type { MemberStatus } from './serf.js'

/** serf's MemberStatus numbers (StatusNone … StatusFailed) as they travel in messages. */
export const MEMBER_STATUS_CODE: Record<MemberStatus, number> = { none: 0, alive: 1, leaving: 2, left: 3, failed: 4 }
