import { encodePeers } from '../configuration-codec.js'
import type { Configuration, SnapshotMeta, SnapshotVersion, Transport } from '../types.js'

/** The metadata every snapshot store writes for a new snapshot (its size grows as data is written). */
export function newSnapshotMeta(
  id: string,
  version: SnapshotVersion,
  index: number,
  term: number,
  configuration: Configuration,
  configurationIndex: number,
  transport: Transport,
): SnapshotMeta {
  return {
    Version: version,
    ID: id,
    Index: index,
    Term: term,
    Peers: encodePeers(configuration, transport),
    Configuration: configuration,
    ConfigurationIndex: configurationIndex,
    Size: 0,
  }
}
