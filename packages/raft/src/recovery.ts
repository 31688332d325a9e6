/**
 * Manual recovery files for `recoverCluster`, read as hashicorp/raft's ReadPeersJSON and
 * ReadConfigJSON read them (Nomad's `peers.json` procedure).
 */
import { readFile } from 'node:fs/promises'
import { checkConfiguration } from './configuration.js'
import { InvalidConfigurationError } from './errors.js'
import { ServerSuffrage, type Configuration, type Server } from './types.js'

async function readJson(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8')
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new InvalidConfigurationError(`${path}: ${(err as Error).message}`)
  }
}

/**
 * Reads a protocol ≤ 2 `peers.json`: a JSON array of addresses, each becoming a voter whose ID
 * is its address.
 *
 * @example
 * await raft.recoverCluster(await readPeersJson('/var/lib/nomad/server/raft/peers.json'))
 */
export async function readPeersJson(path: string): Promise<Configuration> {
  const value = await readJson(path)
  if (!Array.isArray(value) || value.some((p) => typeof p !== 'string')) {
    throw new InvalidConfigurationError(`${path}: expected a JSON array of addresses`)
  }
  const configuration: Configuration = {
    Servers: (value as string[]).map((address) => ({ Suffrage: ServerSuffrage.Voter, ID: address, Address: address })),
  }
  checkConfiguration(configuration)
  return configuration
}

/**
 * Reads a protocol 3 `peers.json`: `[{"id": "...", "address": "host:port", "non_voter": false}]`
 * (`non_voter` optional; unknown keys ignored, as Go's decoder does).
 */
export async function readConfigJson(path: string): Promise<Configuration> {
  const value = await readJson(path)
  if (!Array.isArray(value)) throw new InvalidConfigurationError(`${path}: expected a JSON array of servers`)
  const servers: Server[] = value.map((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new InvalidConfigurationError(`${path}: entry ${i} is not an object`)
    }
    // Go's encoding/json matches keys without regard to case ("ID" fills `id`).
    const e: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(entry)) e[k.toLowerCase()] ??= v
    const text = (k: string): string => {
      const v = e[k]
      if (v === undefined || v === null) return ''
      if (typeof v !== 'string') throw new InvalidConfigurationError(`${path}: entry ${i}: ${k} is not a string`)
      return v
    }
    const nonVoter = e.non_voter
    if (nonVoter !== undefined && nonVoter !== null && typeof nonVoter !== 'boolean') {
      throw new InvalidConfigurationError(`${path}: entry ${i}: non_voter is not a boolean`)
    }
    return { Suffrage: nonVoter === true ? ServerSuffrage.Nonvoter : ServerSuffrage.Voter, ID: text('id'), Address: text('address') }
  })
  const configuration: Configuration = { Servers: servers }
  checkConfiguration(configuration)
  return configuration
}
