import { describe, expect, it } from 'vitest'
import { InvalidInputError, StateStore } from '../src/index.js'
import type { ACLToken, AutopilotConfig, SchedulerConfiguration } from '../src/index.js'

const token = (AccessorID: string, SecretID: string, Global = false): ACLToken => ({
  AccessorID,
  SecretID,
  Name: 'n',
  Type: 'client',
  Policies: ['readonly'],
  Global,
  CreateTime: new Date(0),
  CreateIndex: 0,
  ModifyIndex: 0,
})

const schedConfig = (alg = 'binpack'): SchedulerConfiguration => ({
  SchedulerAlgorithm: alg,
  PreemptionConfig: { SystemSchedulerEnabled: true, BatchSchedulerEnabled: false, ServiceSchedulerEnabled: false },
  CreateIndex: 0,
  ModifyIndex: 0,
})

describe('ACL policies and tokens', () => {
  it('upserts policies keeping CreateIndex and deletes them by name', () => {
    const store = new StateStore()
    store.upsertACLPolicies(1, [{ Name: 'readonly', Description: '', Rules: 'a', CreateIndex: 0, ModifyIndex: 0 }])
    store.upsertACLPolicies(2, [{ Name: 'readonly', Description: 'd', Rules: 'b', CreateIndex: 0, ModifyIndex: 0 }])
    expect(store.snapshot().aclPolicyByName('readonly')).toMatchObject({ Rules: 'b', CreateIndex: 1, ModifyIndex: 2 })
    expect(store.snapshot().aclPoliciesByNamePrefix('read').length).toBe(1)
    store.deleteACLPolicies(3, ['readonly', 'absent'])
    expect(store.snapshot().aclPolicies()).toEqual([])
    expect(store.index('acl_policy')).toBe(3)
  })

  it('finds tokens by accessor, secret and global flag; a secret cannot change', () => {
    const store = new StateStore()
    store.upsertACLTokens(1, [token('a1', 's1', true), token('a2', 's2')])
    const snap = store.snapshot()
    expect(snap.aclTokenBySecretID('s2')?.AccessorID).toBe('a2')
    expect(snap.aclTokensByGlobal(true).map((t) => t.AccessorID)).toEqual(['a1'])
    expect(snap.aclTokensByAccessorPrefix('a').length).toBe(2)
    expect(() => store.upsertACLTokens(2, [token('a1', 'other')])).toThrow('ACLToken SecretID cannot be changed')
    expect(() => store.upsertACLTokens(2, [token('a3', 's1')])).toThrow(/duplicate key/)
    expect(store.snapshot().aclTokens().length).toBe(2)
    store.deleteACLTokens(3, ['a1'])
    expect(store.snapshot().aclTokenBySecretID('s1')).toBeUndefined()
  })

  it('bootstraps once; again only with the reset index', () => {
    const store = new StateStore()
    store.bootstrapACLTokens(5, 0, { ...token('root', 'rs'), Type: 'management' })
    expect(store.index('acl_token_bootstrap')).toBe(5)
    expect(() => store.bootstrapACLTokens(6, 0, token('x', 'xs'))).toThrow('ACL bootstrap already done')
    expect(() => store.bootstrapACLTokens(6, 4, token('x', 'xs'))).toThrow('Invalid reset index for ACL bootstrap')
    store.bootstrapACLTokens(7, 5, token('y', 'ys'))
    expect(store.index('acl_token_bootstrap')).toBe(7)
  })
})

describe('configuration and cluster metadata', () => {
  it('sets the scheduler configuration, with compare-and-set', () => {
    const store = new StateStore()
    expect(store.snapshot().schedulerConfig()).toBeUndefined()
    expect(store.schedulerCASConfig(1, 5, schedConfig())).toBe(false)
    expect(store.schedulerCASConfig(1, 0, schedConfig())).toBe(true)
    expect(store.schedulerCASConfig(2, 0, schedConfig('spread'))).toBe(false)
    expect(store.schedulerCASConfig(2, 1, schedConfig('spread'))).toBe(true)
    store.schedulerSetConfig(3, schedConfig('binpack'))
    const config = store.snapshot().schedulerConfig()
    expect(config).toMatchObject({ SchedulerAlgorithm: 'binpack', CreateIndex: 1, ModifyIndex: 3 })
  })

  it('sets autopilot configuration', () => {
    const store = new StateStore()
    const ap: AutopilotConfig = {
      CleanupDeadServers: true,
      ServerStabilizationTime: 10e9,
      LastContactThreshold: 200e6,
      MaxTrailingLogs: 250,
      MinQuorum: 0,
      EnableRedundancyZones: false,
      DisableUpgradeMigration: false,
      EnableCustomUpgrades: false,
      CreateIndex: 0,
      ModifyIndex: 0,
    }
    store.autopilotSetConfig(1, ap)
    expect(store.autopilotCASConfig(2, 9, { ...ap, MaxTrailingLogs: 1 })).toBe(false)
    expect(store.autopilotCASConfig(2, 1, { ...ap, MaxTrailingLogs: 1 })).toBe(true)
    expect(store.snapshot().autopilotConfig()).toMatchObject({ MaxTrailingLogs: 1, CreateIndex: 1, ModifyIndex: 2 })
  })

  it('sets the cluster ID once', () => {
    const store = new StateStore()
    store.clusterSetMetadata(1, { ClusterID: 'c1', CreateTime: 5 })
    store.clusterSetMetadata(2, { ClusterID: 'c1', CreateTime: 5 })
    expect(() => store.clusterSetMetadata(3, { ClusterID: 'c2', CreateTime: 6 })).toThrow(InvalidInputError)
    expect(store.snapshot().clusterMetadata()).toEqual({ ClusterID: 'c1', CreateTime: 5 })
  })
})
