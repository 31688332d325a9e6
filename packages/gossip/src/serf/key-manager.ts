import { internalQueryName } from './internal-query.js'
import { decodeKeyResponse, encodeKeyRequest } from './messages.js'
import type { Serf } from './serf.js'

/** Aggregated answers of a keyring query (serf's KeyResponse). */
export interface KeyResponse {
  messages: Record<string, string>
  numNodes: number
  numResp: number
  numErr: number
  /** Base64 key → how many nodes hold it. */
  keys: Record<string, number>
  primaryKeys: Record<string, number>
  /** Set when not every node answered without error. */
  error?: string
}

/** Rotates the gossip key cluster-wide through serf's internal queries. */
export class KeyManager {
  /** Changes run one at a time, as serf's KeyManager lock makes them (lists may overlap). */
  private changes: Promise<unknown> = Promise.resolve()

  constructor(private readonly serf: Serf) {}

  /** Adds a base64 key to every member's keyring. */
  installKey(key: string, relayFactor = 0, signal?: AbortSignal): Promise<KeyResponse> { return this.change(key, 'install-key', relayFactor, signal) }
  /** Makes an installed key the primary (encrypting) key everywhere. */
  useKey(key: string, relayFactor = 0, signal?: AbortSignal): Promise<KeyResponse> { return this.change(key, 'use-key', relayFactor, signal) }
  /** Removes a key that is not primary from every keyring. */
  removeKey(key: string, relayFactor = 0, signal?: AbortSignal): Promise<KeyResponse> { return this.change(key, 'remove-key', relayFactor, signal) }
  /** Counts, per key, how many members hold it. */
  listKeys(relayFactor = 0, signal?: AbortSignal): Promise<KeyResponse> { return this.request('', 'list-keys', relayFactor, signal) }

  private change(key: string, op: string, relayFactor: number, signal?: AbortSignal): Promise<KeyResponse> {
    const run = this.changes.then(() => this.request(key, op, relayFactor, signal))
    this.changes = run.catch(() => undefined)
    return run
  }

  private async request(key: string, op: string, relayFactor: number, signal?: AbortSignal): Promise<KeyResponse> {
    const resp: KeyResponse = { messages: {}, numNodes: this.serf.memberlist.numMembers(), numResp: 0, numErr: 0, keys: {}, primaryKeys: {} }
    const q = this.serf.query(internalQueryName(op), encodeKeyRequest(Buffer.from(key, 'base64')), { relayFactor, signal })
    await new Promise<void>((resolve) => {
      const onResponse = (from: string, payload: Buffer): void => {
        resp.numResp++
        try {
          const r = decodeKeyResponse(payload)
          if (!r.result) {
            resp.messages[from] = r.message
            resp.numErr++
          } else if (r.message !== '') {
            resp.messages[from] = r.message
          }
          for (const k of r.keys) resp.keys[k] = (resp.keys[k] ?? 0) + 1
          resp.primaryKeys[r.primaryKey] = (resp.primaryKeys[r.primaryKey] ?? 0) + 1
        } catch {
          resp.messages[from] = 'Failed to decode key query response'
          resp.numErr++
        }
        if (resp.numResp === resp.numNodes) finish()
      }
      const finish = (): void => {
        q.off('response', onResponse)
        resolve()
      }
      q.on('response', onResponse)
      void q.done.then(finish)
    })
    if (resp.numErr !== 0) resp.error = `${resp.numErr}/${resp.numNodes} nodes reported failure`
    else if (resp.numResp !== resp.numNodes) resp.error = `${resp.numResp}/${resp.numNodes} nodes reported success`
    return resp
  }
}
