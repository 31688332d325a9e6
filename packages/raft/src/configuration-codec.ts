/**
 * Byte encodings of cluster configurations, as hashicorp/raft 1.1.2 writes them into
 * `LogConfiguration` entries, InstallSnapshot requests and snapshot metadata.
 */
import { decode, encode } from '@nomadic/msgpack'
import { ServerSuffrage, type Configuration, type Server } from './types.js'
import { DecodeError } from './errors.js'

/**
 * msgpack(Configuration) byte-identical to Go's: a map `{Servers: [{Address, ID, Suffrage}]}`
 * with keys in go-msgpack 0.5.5's sorted order, and nil (0xc0) for no servers.
 */
export function encodeConfiguration(configuration: Configuration): Buffer {
  const servers = configuration.Servers.length === 0
    ? null
    : configuration.Servers.map((s) => ({ Address: s.Address, ID: s.ID, Suffrage: s.Suffrage }))
  return encode({ Servers: servers })
}

/** Reads msgpack(Configuration); throws {@link DecodeError} on anything malformed. */
export function decodeConfiguration(data: Uint8Array): Configuration {
  let value: unknown
  try {
    value = decode(data)
  } catch (err) {
    throw new DecodeError(`failed to decode configuration: ${(err as Error).message}`)
  }
  if (typeof value !== 'object' || value === null) throw new DecodeError('failed to decode configuration: not a map')
  const raw = (value as Record<string, unknown>).Servers
  if (raw === null || raw === undefined) return { Servers: [] }
  if (!Array.isArray(raw)) throw new DecodeError('failed to decode configuration: Servers is not an array')
  return { Servers: raw.map(decodeServer) }
}

function decodeServer(raw: unknown): Server {
  if (typeof raw !== 'object' || raw === null) throw new DecodeError('failed to decode configuration: server is not a map')
  const r = raw as Record<string, unknown>
  const suffrage = r.Suffrage ?? 0
  if (suffrage !== ServerSuffrage.Voter && suffrage !== ServerSuffrage.Nonvoter && suffrage !== ServerSuffrage.Staging) {
    throw new DecodeError(`failed to decode configuration: unknown suffrage ${String(suffrage)}`)
  }
  return { Suffrage: suffrage, ID: text(r.ID), Address: text(r.Address) }
}

function text(v: unknown): string {
  if (v === undefined || v === null) return ''
  if (typeof v === 'string') return v
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8')
  throw new DecodeError('failed to decode configuration: ID or Address is not a string')
}

/** How a transport writes a peer into legacy peer lists. */
export interface PeerCodec {
  encodePeer(id: string, address: string): Buffer
  decodePeer(peer: Buffer): string
}

/** The legacy (protocol < 3) peer list: a msgpack array of the voters' encoded addresses. */
export function encodePeers(configuration: Configuration, codec: PeerCodec): Buffer {
  const peers = configuration.Servers
    .filter((s) => s.Suffrage === ServerSuffrage.Voter)
    .map((s) => codec.encodePeer(s.ID, s.Address))
  return encode(peers.length === 0 ? null : peers)
}

/** Reads a legacy peer list into a configuration of voters whose ID is their address. */
export function decodePeers(data: Uint8Array, codec: PeerCodec): Configuration {
  let value: unknown
  try {
    value = decode(data, { raw: 'bytes' })
  } catch (err) {
    throw new DecodeError(`failed to decode peers: ${(err as Error).message}`)
  }
  if (value === null) return { Servers: [] }
  if (!Array.isArray(value)) throw new DecodeError('failed to decode peers: not an array')
  return {
    Servers: value.map((peer) => {
      if (!(peer instanceof Uint8Array)) throw new DecodeError('failed to decode peers: peer is not bytes')
      const address = codec.decodePeer(Buffer.from(peer))
      return { Suffrage: ServerSuffrage.Voter, ID: address, Address: address }
    }),
  }
}
