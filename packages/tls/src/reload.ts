import type { Server } from 'node:tls'
import type { TlsConfig } from './config.js'

/**
 * Whether RPC connections must be re-established after a configuration reload (Nomad's
 * `ShouldReloadRPCConnections`): true when the CA, certificate or key content changed, when TLS was
 * configured on one side only, or when `enableRpc` flipped. `undefined` means "no TLS configured".
 */
export function shouldReloadRpcConnections(previous: TlsConfig | undefined, next: TlsConfig | undefined): boolean {
  if (previous === undefined && next === undefined) return false
  if (previous === undefined || next === undefined) return true
  const sameCertificates = previous.ca === next.ca && previous.cert === next.cert && previous.key === next.key
  return !sameCertificates || previous.enableRpc !== next.enableRpc
}

/**
 * Swaps the CA, certificate and key of a running `tls.Server`: connections accepted from now on
 * handshake with `config`; the listener stays open and established connections are untouched.
 */
export function reloadTlsServer(server: Server, config: TlsConfig): void {
  server.setSecureContext(config.secureContextOptions())
}
