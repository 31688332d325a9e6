import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import type { ConnectionOptions, SecureContextOptions, SecureVersion, TlsOptions } from 'node:tls'
import { checkServerIdentity } from 'node:tls'
import { TlsConfigError, TlsFileError } from './errors.js'
import { checkKeyPair, parseCertificates, parsePrivateKey } from './pem.js'
import { rpcNameAndRegionValidator, type PeerCertificateNames } from './region.js'

/** Nomad's `tls_min_version` values. */
export type TlsMinVersion = 'tls10' | 'tls11' | 'tls12' | 'tls13'

/** The default minimum TLS version, as in Nomad. */
export const DEFAULT_MIN_VERSION: TlsMinVersion = 'tls12'

const NODE_VERSIONS: Record<TlsMinVersion, SecureVersion> = {
  tls10: 'TLSv1',
  tls11: 'TLSv1.1',
  tls12: 'TLSv1.2',
  tls13: 'TLSv1.3',
}

/** The switches of Nomad's `tls` block, shared by file and in-memory configuration. */
export interface TlsSwitches {
  /** TLS on the HTTP API (`http`). Default false. */
  enableHttp?: boolean
  /** TLS on RPC and Raft (`rpc`). Default false. */
  enableRpc?: boolean
  /**
   * `verify_server_hostname`: outgoing connections check that the server's certificate carries
   * `server.<region>.nomad`, and incoming connections apply the role and region rule. Default false.
   */
  verifyServerHostname?: boolean
  /** `verify_https_client`: HTTPS requires client certificates signed by the CA. Default false. */
  verifyHttpsClient?: boolean
  /** `tls_min_version`. Default `tls12`. */
  minVersion?: TlsMinVersion
}

/** Nomad's `tls` block with file paths (`ca_file`, `cert_file`, `key_file`). */
export interface TlsFileSettings extends TlsSwitches {
  /** PEM file of the CA certificate(s) that sign every agent's certificate. */
  caFile?: string
  /** PEM file of this agent's certificate (optionally followed by intermediates). */
  certFile?: string
  /** PEM file of this agent's private key. */
  keyFile?: string
}

/** The same settings with PEM text instead of paths; `sources` name the PEM in errors. */
export interface TlsPemSettings extends TlsSwitches {
  /** PEM text of the CA certificate(s). */
  ca?: string
  /** PEM text of the agent's certificate chain. */
  cert?: string
  /** PEM text of the agent's private key. */
  key?: string
  /** Names used for the PEM in error messages (file paths when loaded from files). */
  sources?: { ca?: string; cert?: string; key?: string }
}

/** A validator for an incoming peer's certificate; throws when the peer must be refused. */
export type PeerValidator = (cert: PeerCertificateNames) => void

/**
 * A checked TLS configuration: Nomad's switches plus the CA, certificate and key, already parsed
 * and matched. It hands out `node:tls` options for incoming and outgoing connections. Immutable:
 * to reload, build a new one and compare with {@link shouldReloadRpcConnections}.
 *
 * @example
 * const config = await loadTlsConfig({ enableRpc: true, verifyServerHostname: true,
 *   caFile: 'nomad-agent-ca.pem', certFile: 'global-server-nomad.pem', keyFile: 'global-server-nomad-key.pem' })
 * const server = tls.createServer(config.incomingOptions())
 * const socket = tls.connect({ host: '127.0.0.1', port, ...config.outgoingOptions('global') })
 */
export class TlsConfig {
  /** TLS on the HTTP API. */
  readonly enableHttp: boolean
  /** TLS on RPC and Raft. */
  readonly enableRpc: boolean
  /** Check `server.<region>.nomad` on outgoing connections and role and region on incoming ones. */
  readonly verifyServerHostname: boolean
  /** Require client certificates on HTTPS. */
  readonly verifyHttpsClient: boolean
  /** The lowest TLS version accepted, in Nomad's spelling. */
  readonly minVersion: TlsMinVersion
  /** PEM text of the CA certificate(s), if configured. */
  readonly ca: string | undefined
  /** PEM text of the agent certificate chain, if configured. */
  readonly cert: string | undefined
  /** PEM text of the agent private key, if configured. */
  readonly key: string | undefined
  /** Where the CA, certificate and key came from (file paths, or `<ca>` etc. for in-memory PEM). */
  readonly sources: { readonly ca: string; readonly cert: string; readonly key: string }

  /**
   * Checks and wraps in-memory PEM. Throws {@link TlsPemError} for PEM that does not parse,
   * {@link TlsKeyMismatchError} when the key is not the certificate's, {@link TlsConfigError}
   * for an unknown `minVersion` or a certificate without key (or key without certificate).
   */
  constructor(settings: TlsPemSettings) {
    const minVersion = settings.minVersion ?? DEFAULT_MIN_VERSION
    if (!(minVersion in NODE_VERSIONS)) {
      throw new TlsConfigError(
        'minVersion',
        `value ${JSON.stringify(minVersion)} not supported, please specify one of [${Object.keys(NODE_VERSIONS).join(',')}]`,
      )
    }
    this.sources = {
      ca: settings.sources?.ca ?? '<ca>',
      cert: settings.sources?.cert ?? '<cert>',
      key: settings.sources?.key ?? '<key>',
    }
    if ((settings.cert === undefined) !== (settings.key === undefined)) {
      const missing = settings.cert === undefined ? 'certFile' : 'keyFile'
      throw new TlsConfigError(missing, 'a certificate and its key must be configured together')
    }
    if (settings.ca !== undefined) parseCertificates(settings.ca, 'CA certificate', this.sources.ca)
    if (settings.cert !== undefined && settings.key !== undefined) {
      const [leaf] = parseCertificates(settings.cert, 'certificate', this.sources.cert)
      const key = parsePrivateKey(settings.key, 'private key', this.sources.key)
      checkKeyPair(leaf!, key, this.sources.cert, this.sources.key)
    }
    this.enableHttp = settings.enableHttp ?? false
    this.enableRpc = settings.enableRpc ?? false
    this.verifyServerHostname = settings.verifyServerHostname ?? false
    this.verifyHttpsClient = settings.verifyHttpsClient ?? false
    this.minVersion = minVersion
    this.ca = settings.ca
    this.cert = settings.cert
    this.key = settings.key
  }

  /**
   * The CA, certificate, key and minimum version as a secure context: what
   * `tls.Server.setSecureContext()` takes to swap certificates without closing the listener.
   */
  secureContextOptions(): SecureContextOptions {
    return { ca: this.ca, cert: this.cert, key: this.key, minVersion: NODE_VERSIONS[this.minVersion] }
  }

  /**
   * Options for `tls.createServer()` (or `new tls.TLSSocket(socket, { isServer: true, ... })`) on
   * RPC: present our certificate, and require a client certificate that chains to the CA. The role
   * and region rule is separate: {@link TlsConfig.peerValidator}.
   */
  incomingOptions(): TlsOptions {
    this.require('incoming RPC TLS', true)
    return { ...this.secureContextOptions(), requestCert: true, rejectUnauthorized: true }
  }

  /**
   * Options for an HTTPS server: client certificates are required and verified against the CA
   * only when `verifyHttpsClient` is set.
   */
  httpsOptions(): TlsOptions {
    this.require('HTTPS', this.verifyHttpsClient)
    const verify = this.verifyHttpsClient
    return { ...this.secureContextOptions(), requestCert: verify, rejectUnauthorized: verify }
  }

  /**
   * Options for `tls.connect()` to a server of `region`: the server name (SNI) is
   * `server.<region>.nomad`; the chain is always verified against the CA; with
   * `verifyServerHostname` the server's certificate must also carry that name. Our certificate is
   * presented as the client certificate.
   */
  outgoingOptions(region: string): ConnectionOptions {
    this.require('outgoing RPC TLS', true, false)
    const serverName = `server.${region}.nomad`
    const verifyName = this.verifyServerHostname
    return {
      ...this.secureContextOptions(),
      servername: serverName,
      rejectUnauthorized: true,
      checkServerIdentity: (_host, cert) => (verifyName ? checkServerIdentity(serverName, cert) : undefined),
    }
  }

  /**
   * The check to run on an incoming RPC peer's certificate once the handshake verified its chain:
   * Nomad's role and region rule ({@link rpcNameAndRegionValidator}) when `verifyServerHostname`
   * is set, otherwise a check that accepts every certificate.
   */
  peerValidator(region: string): PeerValidator {
    return this.verifyServerHostname ? rpcNameAndRegionValidator(region) : () => undefined
  }

  private require(use: string, needCa: boolean, needCert = true): void {
    if (needCa && this.ca === undefined) throw new TlsConfigError('caFile', `${use} needs a CA certificate`)
    if (needCert && this.cert === undefined) {
      throw new TlsConfigError('certFile', `${use} needs a certificate and key`)
    }
  }
}

function readSync(what: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined
  try {
    return readFileSync(path, 'utf8')
  } catch (cause) {
    throw new TlsFileError(what, path, cause)
  }
}

async function read(what: string, path: string | undefined): Promise<string | undefined> {
  if (path === undefined) return undefined
  try {
    return await readFile(path, 'utf8')
  } catch (cause) {
    throw new TlsFileError(what, path, cause)
  }
}

function fromFiles(settings: TlsFileSettings, ca?: string, cert?: string, key?: string): TlsConfig {
  const { caFile, certFile, keyFile, ...switches } = settings
  return new TlsConfig({ ...switches, ca, cert, key, sources: { ca: caFile, cert: certFile, key: keyFile } })
}

/**
 * Reads and checks the CA, certificate and key files of Nomad's `tls` block. A file that cannot be
 * read gives {@link TlsFileError}, bad PEM {@link TlsPemError}; both name the file.
 *
 * @example
 * const config = await loadTlsConfig({ enableRpc: true, caFile: 'nomad-agent-ca.pem',
 *   certFile: 'global-server-nomad.pem', keyFile: 'global-server-nomad-key.pem' })
 */
export async function loadTlsConfig(settings: TlsFileSettings): Promise<TlsConfig> {
  const [ca, cert, key] = await Promise.all([
    read('CA', settings.caFile),
    read('certificate', settings.certFile),
    read('key', settings.keyFile),
  ])
  return fromFiles(settings, ca, cert, key)
}

/** Synchronous {@link loadTlsConfig}, for constructors and start-up code. */
export function loadTlsConfigSync(settings: TlsFileSettings): TlsConfig {
  return fromFiles(
    settings,
    readSync('CA', settings.caFile),
    readSync('certificate', settings.certFile),
    readSync('key', settings.keyFile),
  )
}
