/** Base class of every error this package throws; `code` is stable across versions. */
export class TlsError extends Error {
  /** A stable, machine-readable identifier of the condition. */
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** Nomad's exact text, matched by clients as a substring. */
export const INVALID_ROLE_OR_REGION = 'invalid role or region for certificate'

/**
 * The peer's certificate names no acceptable role and region: no DNS SAN and not the CN is
 * `client.<our region>.nomad` or `server.<any region>.nomad`. The message is Nomad's exactly.
 */
export class InvalidRoleOrRegionError extends TlsError {
  /** The names that were looked at (DNS SANs, then the CN), for logs. */
  readonly names: readonly string[]
  /** The region the peer was checked against. */
  readonly region: string

  constructor(names: readonly string[], region: string) {
    super('ERR_TLS_INVALID_ROLE_OR_REGION', INVALID_ROLE_OR_REGION)
    this.names = names
    this.region = region
  }
}

/** A configured file could not be read (missing, unreadable, a directory). */
export class TlsFileError extends TlsError {
  /** The file that could not be read. */
  readonly path: string

  constructor(what: string, path: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    super('ERR_TLS_FILE_UNREADABLE', `cannot read ${what} file ${JSON.stringify(path)}: ${reason}`, { cause })
    this.path = path
  }
}

/** A file (or in-memory source) does not hold the PEM it should: corrupt, empty or wrong kind. */
export class TlsPemError extends TlsError {
  /** The file (or the name given to in-memory PEM) that holds the bad data. */
  readonly path: string

  constructor(what: string, path: string, detail: string, cause?: unknown) {
    super('ERR_TLS_PEM_INVALID', `invalid ${what} in ${JSON.stringify(path)}: ${detail}`, { cause })
    this.path = path
  }
}

/** The private key does not belong to the certificate. */
export class TlsKeyMismatchError extends TlsError {
  /** The certificate's source. */
  readonly certPath: string
  /** The key's source. */
  readonly keyPath: string

  constructor(certPath: string, keyPath: string) {
    super(
      'ERR_TLS_KEY_MISMATCH',
      `private key ${JSON.stringify(keyPath)} does not match certificate ${JSON.stringify(certPath)}`,
    )
    this.certPath = certPath
    this.keyPath = keyPath
  }
}

/** An option is invalid or a required one is missing; the message names the option. */
export class TlsConfigError extends TlsError {
  /** The option at fault. */
  readonly option: string

  constructor(option: string, message: string) {
    super('ERR_TLS_CONFIG', `${option}: ${message}`)
    this.option = option
  }
}

/** A TLS handshake failed or was aborted (chain not trusted, expired, wrong name, peer gone). */
export class TlsHandshakeError extends TlsError {
  /** OpenSSL's or Node's code for the failure when known (`CERT_HAS_EXPIRED`, `ECONNRESET` …). */
  readonly reason: string | undefined

  constructor(message: string, reason: string | undefined, cause?: unknown) {
    super('ERR_TLS_HANDSHAKE', message, { cause })
    this.reason = reason
  }
}

/** The certificate authority refuses to overwrite a file that already exists. */
export class TlsFileExistsError extends TlsError {
  /** The file that exists. */
  readonly path: string

  constructor(path: string) {
    super('ERR_TLS_FILE_EXISTS', `${JSON.stringify(path)} already exists, refusing to overwrite it`)
    this.path = path
  }
}

/** The `nomadic-tls` command line is invalid; the message says what to change. */
export class TlsUsageError extends TlsError {
  constructor(message: string) {
    super('ERR_TLS_USAGE', message)
  }
}
