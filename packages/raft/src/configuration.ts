/** Pure functions on cluster configurations (hashicorp/raft configuration.go). */
import { InvalidConfigurationError, ConfigurationChangedError } from './errors.js'
import { ServerSuffrage, type Configuration, type Server, type ServerAddress, type ServerID } from './types.js'

/** The membership change commands a leader serializes through the log. */
export type ConfigurationChangeCommand = 'addStaging' | 'addNonvoter' | 'demoteVoter' | 'removeServer' | 'promote'

/** A requested membership change. */
export interface ConfigurationChange {
  command: ConfigurationChangeCommand
  id: ServerID
  address: ServerAddress
  /** 0, or the latest configuration index the caller saw (compare-and-set). */
  prevIndex: number
}

/** A deep copy. */
export function cloneConfiguration(configuration: Configuration): Configuration {
  return { Servers: configuration.Servers.map((s) => ({ ...s })) }
}

/** Whether `id` is a voter in the configuration. */
export function hasVote(configuration: Configuration, id: ServerID): boolean {
  return configuration.Servers.some((s) => s.ID === id && s.Suffrage === ServerSuffrage.Voter)
}

/** The voters' IDs. */
export function voters(configuration: Configuration): Server[] {
  return configuration.Servers.filter((s) => s.Suffrage === ServerSuffrage.Voter)
}

/** Votes needed for a majority of the voters. */
export function quorumSize(configuration: Configuration): number {
  return Math.floor(voters(configuration).length / 2) + 1
}

/** Rejects empty or duplicate IDs and addresses, and a configuration without a voter. */
export function checkConfiguration(configuration: Configuration): void {
  const ids = new Set<string>()
  const addresses = new Set<string>()
  let voterCount = 0
  for (const server of configuration.Servers) {
    if (server.ID === '') throw new InvalidConfigurationError('Empty ID in configuration')
    if (server.Address === '') throw new InvalidConfigurationError(`Empty address in configuration: ${server.ID}`)
    if (ids.has(server.ID)) throw new InvalidConfigurationError(`Found duplicate ID in configuration: ${server.ID}`)
    if (addresses.has(server.Address)) throw new InvalidConfigurationError(`Found duplicate address in configuration: ${server.Address}`)
    ids.add(server.ID)
    addresses.add(server.Address)
    if (server.Suffrage === ServerSuffrage.Voter) voterCount++
  }
  if (voterCount === 0) throw new InvalidConfigurationError('Need at least one voter in configuration')
}

/**
 * The configuration after `change`, as hashicorp/raft 1.1.2 computes it (addStaging adds a voter
 * directly: 1.1.2 has no promotion step). Throws when prevIndex is stale or the result is invalid.
 */
export function nextConfiguration(current: Configuration, currentIndex: number, change: ConfigurationChange): Configuration {
  if (change.prevIndex > 0 && change.prevIndex !== currentIndex) {
    throw new ConfigurationChangedError(change.prevIndex, currentIndex)
  }
  const next = cloneConfiguration(current)
  const at = next.Servers.findIndex((s) => s.ID === change.id)
  const found = at >= 0 ? next.Servers[at]! : undefined
  switch (change.command) {
    case 'addStaging': {
      if (found === undefined) next.Servers.push({ Suffrage: ServerSuffrage.Voter, ID: change.id, Address: change.address })
      else {
        found.Address = change.address
        found.Suffrage = ServerSuffrage.Voter
      }
      break
    }
    case 'addNonvoter': {
      if (found === undefined) next.Servers.push({ Suffrage: ServerSuffrage.Nonvoter, ID: change.id, Address: change.address })
      else found.Address = change.address
      break
    }
    case 'demoteVoter':
      if (found !== undefined) found.Suffrage = ServerSuffrage.Nonvoter
      break
    case 'removeServer':
      if (at >= 0) next.Servers.splice(at, 1)
      break
    case 'promote':
      if (found !== undefined && found.Suffrage === ServerSuffrage.Staging) found.Suffrage = ServerSuffrage.Voter
      break
  }
  checkConfiguration(next)
  return next
}
