import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'
import { isIP } from 'node:net'
import forge from 'node-forge'
import { TlsConfigError, TlsPemError } from '../errors.js'
import { checkKeyPair, parseCertificates, parsePrivateKey } from '../pem.js'

/** A certificate and its private key, both PEM. */
export interface CertificateAndKey {
  /** The certificate, PEM. */
  cert: string
  /** Its private key, PEM (PKCS#1 RSA). */
  key: string
  /** Where the two came from (file paths), named in errors. Default `<ca>` and `<ca key>`. */
  sources?: { cert: string; key: string }
}

/** Default lifetime of a CA certificate, as `nomad tls ca create`. */
export const DEFAULT_CA_DAYS = 1825
/** Default lifetime of an agent certificate, as `nomad tls cert create`. */
export const DEFAULT_CERT_DAYS = 365
/** Default domain, as Nomad's. */
export const DEFAULT_DOMAIN = 'nomad'
/** Default region. */
export const DEFAULT_REGION = 'global'
/** RSA key size. node-forge signs certificates with RSA only (no ECDSA as Nomad uses). */
export const DEFAULT_KEY_BITS = 2048

/** Options of {@link createCa}. */
export interface CreateCaOptions {
  /** Lifetime in days. Default 1825. */
  days?: number
  /** Domain of the cluster (the `nomad` in `server.global.nomad`). Default `nomad`. */
  domain?: string
  /** Subject CN. Default `Nomad Agent CA <serial>`, as Nomad. */
  commonName?: string
  /** Start of validity. Default: now. Certificates are wall-clock documents, so this is a date. */
  now?: Date
  /** RSA modulus length. Default 2048. */
  keyBits?: number
  /** An existing RSA private key (PEM) to certify instead of generating one. */
  key?: string
}

/** Options of {@link createCertificate}: any leaf certificate signed by a CA. */
export interface CreateCertificateOptions {
  /** The signing CA (as made by {@link createCa}, or its two PEM files' content). */
  ca: CertificateAndKey
  /** Subject CN. Default: the first DNS name. */
  commonName?: string
  /** DNS subject alternative names. */
  dnsNames?: readonly string[]
  /** IP subject alternative names (v4 or v6). */
  ipAddresses?: readonly string[]
  /** Extended key usages. Default both. */
  extKeyUsage?: readonly ('serverAuth' | 'clientAuth')[]
  /** Lifetime in days. Default 365. */
  days?: number
  /** Start of validity. Default: now. */
  now?: Date
  /** RSA modulus length. Default 2048. */
  keyBits?: number
  /** An existing RSA private key (PEM) to certify instead of generating one (renewal). */
  key?: string
}

/** The three kinds of agent certificate `nomad tls cert create` makes. */
export type CertificateRole = 'server' | 'client' | 'cli'

/** Options of {@link createAgentCertificate}. */
export interface CreateAgentCertificateOptions {
  /** The signing CA. */
  ca: CertificateAndKey
  /** `server`, `client` or `cli`. */
  role: CertificateRole
  /** Region. Default `global`. */
  region?: string
  /** Domain. Default `nomad`. */
  domain?: string
  /** Lifetime in days. Default 365. */
  days?: number
  /** More DNS names (`-additional-dnsname`). */
  additionalDnsNames?: readonly string[]
  /** More IP addresses (`-additional-ipaddress`). */
  additionalIpAddresses?: readonly string[]
  /** Start of validity. Default: now. */
  now?: Date
  /** RSA modulus length. Default 2048. */
  keyBits?: number
  /** An existing RSA private key (PEM) to certify instead of generating one (renewal). */
  key?: string
}

const DAY_MS = 24 * 60 * 60 * 1000

/**
 * Makes a self-signed CA certificate and key, as `nomad tls ca create`: CA basic constraint,
 * key usage certificate and CRL signing, a subject key identifier.
 *
 * @example
 * const ca = createCa()
 * const server = createAgentCertificate({ ca, role: 'server', region: 'global' })
 */
export function createCa(options: CreateCaOptions = {}): CertificateAndKey {
  const domain = options.domain ?? DEFAULT_DOMAIN
  checkLabel('domain', domain)
  const keys = keysFor(options)
  const cert = forge.pki.createCertificate()
  cert.publicKey = keys.publicKey
  cert.serialNumber = randomSerial()
  setValidity(cert, options.now, options.days ?? DEFAULT_CA_DAYS)
  const subject = [
    { name: 'commonName', value: options.commonName ?? `Nomad Agent CA ${BigInt(`0x${cert.serialNumber}`)}` },
    { name: 'organizationName', value: 'nomadic' },
  ]
  cert.setSubject(subject)
  cert.setIssuer(subject)
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: true },
  ])
  cert.sign(keys.privateKey, forge.md.sha256.create())
  return { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(keys.privateKey) }
}

/**
 * Makes a leaf certificate signed by `ca` with the given names and usages. The building block of
 * {@link createAgentCertificate}; also useful to make the odd certificates tests need.
 */
export function createCertificate(options: CreateCertificateOptions): CertificateAndKey {
  const issuer = parseCa(options.ca)
  const dnsNames = options.dnsNames ?? []
  const ipAddresses = options.ipAddresses ?? []
  for (const ip of ipAddresses) {
    if (isIP(ip) === 0) throw new TlsConfigError('ipAddresses', `${JSON.stringify(ip)} is not an IP address`)
  }
  const commonName = options.commonName ?? dnsNames[0]
  if (commonName === undefined) throw new TlsConfigError('commonName', 'a certificate needs a CN or a DNS name')
  const usages = options.extKeyUsage ?? ['serverAuth', 'clientAuth']
  const keys = keysFor(options)
  const cert = forge.pki.createCertificate()
  cert.publicKey = keys.publicKey
  cert.serialNumber = randomSerial()
  setValidity(cert, options.now, options.days ?? DEFAULT_CERT_DAYS)
  cert.setSubject([{ name: 'commonName', value: commonName }])
  cert.setIssuer(issuer.cert.subject.attributes)
  const altNames = [
    ...dnsNames.map((value) => ({ type: 2, value })),
    ...ipAddresses.map((ip) => ({ type: 7, ip })),
  ]
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: usages.includes('serverAuth'), clientAuth: usages.includes('clientAuth') },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: issuer.keyIdentifier },
  ]
  if (altNames.length > 0) extensions.push({ name: 'subjectAltName', altNames })
  cert.setExtensions(extensions)
  cert.sign(issuer.key, forge.md.sha256.create())
  return { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(keys.privateKey) }
}

/**
 * The names an agent certificate of `role` carries, as `nomad tls cert create`: servers
 * `server.<region>.<domain>`, `localhost`, `127.0.0.1`; clients `client.<region>.<domain>`,
 * `localhost`, `127.0.0.1`; the CLI `cli.<region>.<domain>`, `localhost`; then the additional ones.
 */
export function agentNames(options: Omit<CreateAgentCertificateOptions, 'ca'>): {
  dnsNames: string[]
  ipAddresses: string[]
} {
  const region = options.region ?? DEFAULT_REGION
  const domain = options.domain ?? DEFAULT_DOMAIN
  checkLabel('region', region)
  checkLabel('domain', domain)
  const dnsNames = [`${options.role}.${region}.${domain}`, 'localhost', ...(options.additionalDnsNames ?? [])]
  const ipAddresses = [...(options.role === 'cli' ? [] : ['127.0.0.1']), ...(options.additionalIpAddresses ?? [])]
  return { dnsNames, ipAddresses }
}

/**
 * Makes a server, client or CLI certificate for a region, as `nomad tls cert create`. Server and
 * client certificates are good for both TLS server and client authentication; CLI certificates
 * for client authentication only.
 */
export function createAgentCertificate(options: CreateAgentCertificateOptions): CertificateAndKey {
  const { dnsNames, ipAddresses } = agentNames(options)
  return createCertificate({
    ca: options.ca,
    dnsNames,
    ipAddresses,
    extKeyUsage: options.role === 'cli' ? ['clientAuth'] : ['serverAuth', 'clientAuth'],
    days: options.days,
    now: options.now,
    keyBits: options.keyBits,
    key: options.key,
  })
}

function checkLabel(option: string, value: string): void {
  if (!/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/.test(value)) {
    throw new TlsConfigError(option, `${JSON.stringify(value)} is not a DNS label`)
  }
}

type ForgeKeys = { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey }

// RSA keys come from node:crypto (native, much faster than node-forge's) and are handed to
// node-forge for signing.
function keysFor(options: { keyBits?: number; key?: string }): ForgeKeys {
  let privateKey: KeyObject
  if (options.key !== undefined) {
    privateKey = parsePrivateKey(options.key, 'private key', '<key>')
    if (privateKey.asymmetricKeyType !== 'rsa') {
      throw new TlsConfigError('key', `node-forge certifies only RSA keys, not ${privateKey.asymmetricKeyType}`)
    }
  } else {
    const bits = options.keyBits ?? DEFAULT_KEY_BITS
    if (!Number.isInteger(bits) || bits < 2048) throw new TlsConfigError('keyBits', 'must be an integer of at least 2048')
    privateKey = generateKeyPairSync('rsa', { modulusLength: bits }).privateKey
  }
  const forgeKey = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString())
  return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e) }
}

// A positive 128-bit serial from the system's secure generator: certificate serials must be
// unpredictable, so they do not come from an injected (possibly seeded) Random.
function randomSerial(): string {
  const bytes = randomBytes(16)
  bytes[0] = bytes[0]! & 0x7f
  return bytes.toString('hex')
}

function setValidity(cert: forge.pki.Certificate, now: Date | undefined, days: number): void {
  if (!Number.isInteger(days) || days < 1) throw new TlsConfigError('days', 'must be a whole number of days, at least 1')
  const start = now ?? new Date()
  cert.validity.notBefore = start
  cert.validity.notAfter = new Date(start.getTime() + days * DAY_MS)
}

interface ParsedCa {
  cert: forge.pki.Certificate
  key: forge.pki.rsa.PrivateKey
  keyIdentifier: string
}

function parseCa(ca: CertificateAndKey): ParsedCa {
  const certSource = ca.sources?.cert ?? '<ca>'
  const keySource = ca.sources?.key ?? '<ca key>'
  const [x509] = parseCertificates(ca.cert, 'CA certificate', certSource)
  const keyObject = parsePrivateKey(ca.key, 'CA key', keySource)
  checkKeyPair(x509!, keyObject, certSource, keySource)
  if (!x509!.ca) throw new TlsPemError('CA certificate', certSource, 'the certificate is not a CA')
  if (keyObject.asymmetricKeyType !== 'rsa') {
    throw new TlsPemError('CA key', keySource, `node-forge signs only with RSA keys, not ${keyObject.asymmetricKeyType}`)
  }
  const cert = forge.pki.certificateFromPem(x509!.toString())
  const key = forge.pki.privateKeyFromPem(keyObject.export({ type: 'pkcs1', format: 'pem' }).toString())
  const ski = cert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | undefined
  const keyIdentifier = forge.util.hexToBytes(ski?.subjectKeyIdentifier ?? cert.generateSubjectKeyIdentifier().toHex())
  return { cert, key, keyIdentifier }
}
