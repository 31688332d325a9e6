import type { Duplex } from 'node:stream'
import { connect, type TLSSocket } from 'node:tls'
import type { TlsConfig } from './config.js'
import { TlsHandshakeError } from './errors.js'
import { ignoreErrors, listenOnce } from './listeners.js'

/**
 * Upgrades an established connection to TLS as the client, towards a server of `region`
 * (Nomad's `tlsutil.RegionWrapper`). Resolves once the handshake verified the server; rejects with
 * {@link TlsHandshakeError} (and closes the connection) otherwise, or with the signal's reason.
 * From then on the TLS socket owns the connection: end or destroy it, never the wrapped socket
 * as well (destroying both can crash Node 20).
 */
export type RegionWrapper = (region: string, socket: Duplex, signal?: AbortSignal) => Promise<TLSSocket>

/**
 * Nomad's `OutgoingTLSWrapper`: a {@link RegionWrapper} that starts TLS on a connection (after
 * the RPC type byte 0x04 was written) with {@link TlsConfig.outgoingOptions}: SNI
 * `server.<region>.nomad`, the chain verified against the CA, and the name too when
 * `verifyServerHostname` is set.
 *
 * @example
 * const wrap = outgoingWrapper(config)
 * const raw = net.connect(4647, '10.0.0.1'); raw.write(Buffer.from([0x04]))
 * const secure = await wrap('global', raw, AbortSignal.timeout(5_000))
 */
export function outgoingWrapper(config: TlsConfig): RegionWrapper {
  return (region, socket, signal) => {
    const options = config.outgoingOptions(region)
    return new Promise<TLSSocket>((resolve, reject) => {
      if (signal?.aborted) {
        socket.destroy()
        reject(signal.reason)
        return
      }
      const secure = connect({ ...options, socket })
      const settle = (error: unknown): void => {
        cleanup()
        // Only the TLS socket: it closes the connection, and destroying the wrapped socket
        // as well can crash Node 20 (use after free in TLSWrap).
        ignoreErrors(secure)
        secure.destroy()
        reject(error)
      }
      const onError = (error: NodeJS.ErrnoException): void =>
        settle(new TlsHandshakeError(`TLS handshake with ${options.servername} failed: ${error.message}`, error.code, error))
      const onClose = (): void =>
        settle(new TlsHandshakeError(`connection closed during the TLS handshake with ${options.servername}`, 'ECONNRESET'))
      const onSecure = (): void => {
        cleanup()
        resolve(secure)
      }
      const cleanup = listenOnce(
        [
          [secure, 'secureConnect', onSecure],
          [secure, 'error', onError],
          [secure, 'close', onClose],
        ],
        signal,
        () => settle(signal?.reason),
      )
    })
  }
}
