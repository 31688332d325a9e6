import type { Duplex } from 'node:stream'
import { createServer, type TLSSocket, type TlsOptions } from 'node:tls'
import type { PeerValidator, TlsConfig } from './config.js'
import { TlsHandshakeError, type TlsConfigError } from './errors.js'
import { ignoreErrors, listenOnce } from './listeners.js'

/** Options of {@link TlsAcceptor}. */
export interface TlsAcceptorOptions {
  /** Our region: incoming peers are checked against it when `verifyServerHostname` is set. */
  region: string
}

/**
 * The server side of Nomad's RPC TLS upgrade (connection type byte 0x04): runs the TLS handshake on
 * an accepted connection, requires a client certificate that chains to the CA, and — when
 * `verifyServerHostname` is set — applies the role and region rule. {@link TlsAcceptor.reload}
 * swaps the certificates for later handshakes; connections already accepted keep theirs.
 *
 * @example
 * const acceptor = new TlsAcceptor(config, { region: 'global' })
 * net.createServer(async (raw) => {
 *   const secure = await acceptor.accept(raw, AbortSignal.timeout(5_000)) // throws for a refused peer
 *   secure.pipe(secure)
 * })
 */
export class TlsAcceptor {
  private options: TlsOptions
  private validator: PeerValidator
  private readonly region: string

  /**
   * Throws {@link TlsConfigError} when `config` has no CA, certificate or key: incoming RPC TLS
   * needs all three.
   */
  constructor(config: TlsConfig, options: TlsAcceptorOptions) {
    this.region = options.region
    this.options = TlsAcceptor.optionsOf(config)
    this.validator = config.peerValidator(this.region)
  }

  /** Handshakes from now on use `config`'s CA, certificate, key and switches. */
  reload(config: TlsConfig): void {
    this.options = TlsAcceptor.optionsOf(config)
    this.validator = config.peerValidator(this.region)
  }

  /**
   * Handshakes on `socket` as the TLS server. Resolves with the secure socket once the peer's
   * chain is verified and its names pass; otherwise destroys the connection and rejects with
   * {@link TlsHandshakeError} (untrusted, expired or missing certificate, peer gone),
   * {@link InvalidRoleOrRegionError}, or the signal's reason. Once it resolves, the TLS socket
   * owns the connection: end or destroy it, never `socket` as well (destroying both can crash
   * Node 20).
   */
  accept(socket: Duplex, signal?: AbortSignal): Promise<TLSSocket> {
    const validator = this.validator
    // A private, never-listening tls.Server per connection: Node sets `authorized` only for
    // sockets a tls.Server handshakes, and this keeps each handshake's events apart.
    const server = createServer(this.options)
    return new Promise<TLSSocket>((resolve, reject) => {
      if (signal?.aborted) {
        socket.destroy()
        reject(signal.reason)
        return
      }
      let secure: TLSSocket | undefined
      const settle = (error: unknown): void => {
        cleanup()
        // One of the two, never both: destroying the wrapped socket and its TLS socket
        // together can crash Node 20 (use after free in TLSWrap). The TLS socket follows the
        // wrapped one when that closes.
        const owner = secure ?? socket
        ignoreErrors(owner)
        owner.destroy()
        reject(error)
      }
      const onSecure = (tlsSocket: TLSSocket): void => {
        secure = tlsSocket
        if (!tlsSocket.authorized) {
          const reason = String(tlsSocket.authorizationError ?? 'CERT_REJECTED')
          settle(new TlsHandshakeError(`peer certificate refused: ${reason}`, reason))
          return
        }
        try {
          validator(tlsSocket.getPeerCertificate(true))
        } catch (error) {
          settle(error)
          return
        }
        cleanup()
        resolve(tlsSocket)
      }
      const onClientError = (error: NodeJS.ErrnoException, tlsSocket: TLSSocket): void => {
        secure = tlsSocket
        settle(new TlsHandshakeError(`TLS handshake failed: ${error.message}`, error.code, error))
      }
      const onClose = (): void =>
        settle(new TlsHandshakeError('connection closed during the TLS handshake', 'ECONNRESET'))
      const cleanup = listenOnce(
        [
          [server, 'secureConnection', onSecure],
          [server, 'tlsClientError', onClientError],
          [socket, 'close', onClose],
        ],
        signal,
        () => settle(signal?.reason),
      )
      server.emit('connection', socket)
    })
  }

  // Client certificates are requested and verified, but the verdict is read after the
  // handshake (`authorized`) so a refusal carries its reason (`CERT_HAS_EXPIRED` …).
  private static optionsOf(config: TlsConfig): TlsOptions {
    return { ...config.incomingOptions(), rejectUnauthorized: false }
  }
}
