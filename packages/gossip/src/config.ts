import { InvalidConfigError } from './errors.js'
import { PROTOCOL_VERSION_DEFAULT, PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN } from './constants.js'

/** Timing and fan-out knobs of memberlist; all durations in milliseconds. */
export interface MemberlistConfig {
  /** Memberlist protocol version this node speaks (1..5; 2 is what memberlist 0.2.2 uses). */
  protocolVersion: number
  /** Deadline of one stream exchange (push-pull, reliable user message). */
  tcpTimeout: number
  /** Peers asked to probe a node that missed its direct ping. */
  indirectChecks: number
  /** A broadcast is sent `retransmitMult × ceil(log10(n+1))` times. */
  retransmitMult: number
  /** Scales the minimum suspicion timeout. */
  suspicionMult: number
  /** The maximum suspicion timeout is this × the minimum. */
  suspicionMaxTimeoutMult: number
  /** Full state sync period (0 disables). */
  pushPullInterval: number
  probeInterval: number
  probeTimeout: number
  disableTcpPings: boolean
  /** Local health multiplier cap (Lifeguard). */
  awarenessMaxMultiplier: number
  gossipNodes: number
  gossipInterval: number
  gossipToTheDeadTime: number
  gossipVerifyIncoming: boolean
  gossipVerifyOutgoing: boolean
  enableCompression: boolean
  udpBufferSize: number
  /** After this long a dead node's name may be reclaimed by another address (0 = never). */
  deadNodeReclaimTime: number
  /** Inbound push-pulls handled at once; more are refused. */
  maxConcurrentPushPulls: number
}

/** memberlist's `DefaultLANConfig`. */
export function lanConfig(overrides: Partial<MemberlistConfig> = {}): MemberlistConfig {
  return validateConfig({
    protocolVersion: PROTOCOL_VERSION_DEFAULT,
    tcpTimeout: 10_000,
    indirectChecks: 3,
    retransmitMult: 4,
    suspicionMult: 4,
    suspicionMaxTimeoutMult: 6,
    pushPullInterval: 30_000,
    probeInterval: 1_000,
    probeTimeout: 500,
    disableTcpPings: false,
    awarenessMaxMultiplier: 8,
    gossipNodes: 3,
    gossipInterval: 200,
    gossipToTheDeadTime: 30_000,
    gossipVerifyIncoming: true,
    gossipVerifyOutgoing: true,
    enableCompression: true,
    udpBufferSize: 1400,
    deadNodeReclaimTime: 0,
    maxConcurrentPushPulls: 128,
    ...overrides,
  })
}

/** memberlist's `DefaultWANConfig` (what Nomad servers use). */
export function wanConfig(overrides: Partial<MemberlistConfig> = {}): MemberlistConfig {
  return lanConfig({
    tcpTimeout: 30_000,
    suspicionMult: 6,
    pushPullInterval: 60_000,
    probeTimeout: 3_000,
    probeInterval: 5_000,
    gossipNodes: 4,
    gossipInterval: 500,
    gossipToTheDeadTime: 60_000,
    ...overrides,
  })
}

/** memberlist's `DefaultLocalConfig` (loopback). */
export function localConfig(overrides: Partial<MemberlistConfig> = {}): MemberlistConfig {
  return lanConfig({
    tcpTimeout: 1_000,
    indirectChecks: 1,
    retransmitMult: 2,
    suspicionMult: 3,
    pushPullInterval: 15_000,
    probeTimeout: 200,
    probeInterval: 1_000,
    gossipInterval: 100,
    gossipToTheDeadTime: 15_000,
    ...overrides,
  })
}

/** Profile names accepted by {@link profileConfig}. */
export type Profile = 'lan' | 'wan' | 'local'

export function profileConfig(profile: Profile, overrides: Partial<MemberlistConfig> = {}): MemberlistConfig {
  if (profile === 'lan') return lanConfig(overrides)
  if (profile === 'wan') return wanConfig(overrides)
  if (profile === 'local') return localConfig(overrides)
  throw new InvalidConfigError(`unknown profile ${String(profile)}`)
}

/** Throws {@link InvalidConfigError} naming the first bad option. */
export function validateConfig(c: MemberlistConfig): MemberlistConfig {
  const positive: Array<keyof MemberlistConfig> = ['tcpTimeout', 'probeInterval', 'probeTimeout', 'gossipInterval', 'suspicionMult', 'suspicionMaxTimeoutMult', 'retransmitMult', 'awarenessMaxMultiplier', 'udpBufferSize', 'maxConcurrentPushPulls']
  for (const k of positive) {
    const v = c[k]
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new InvalidConfigError(`${k} must be a positive number, got ${String(v)}`)
  }
  const nonNegative: Array<keyof MemberlistConfig> = ['indirectChecks', 'pushPullInterval', 'gossipNodes', 'gossipToTheDeadTime', 'deadNodeReclaimTime']
  for (const k of nonNegative) {
    const v = c[k]
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InvalidConfigError(`${k} must be zero or positive, got ${String(v)}`)
  }
  if (c.protocolVersion < PROTOCOL_VERSION_MIN || c.protocolVersion > PROTOCOL_VERSION_MAX) {
    throw new InvalidConfigError(`protocolVersion must be in [${PROTOCOL_VERSION_MIN}, ${PROTOCOL_VERSION_MAX}], got ${c.protocolVersion}`)
  }
  if (c.probeTimeout > c.probeInterval) throw new InvalidConfigError('probeTimeout must not exceed probeInterval')
  if (c.udpBufferSize < 100 || c.udpBufferSize > 65000) throw new InvalidConfigError('udpBufferSize must be in [100, 65000]')
  return c
}
