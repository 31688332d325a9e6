import type { PeerCertificate } from 'node:tls'
import { InvalidRoleOrRegionError } from './errors.js'

/**
 * Nomad's role and region rule for one certificate name (nomad/server.go `validateRPCRegionPeer`):
 * at least three dot-separated labels, the last one `nomad`; a `client.*` name only as exactly
 * `client.<region>.nomad` (clients reach only their own region's servers); a `server.*` name for any
 * region (servers federate across regions); nothing else.
 *
 * @example
 * validateRpcRegionPeer('client.global.nomad', 'global') // true
 * validateRpcRegionPeer('client.east.nomad', 'global')   // false
 * validateRpcRegionPeer('server.east.nomad', 'global')   // true
 */
export function validateRpcRegionPeer(name: string, region: string): boolean {
  const labels = name.split('.')
  if (labels.length < 3) return false
  if (labels[labels.length - 1] !== 'nomad') return false
  if (labels[0] === 'client') return name === `client.${region}.nomad`
  return labels[0] === 'server'
}

/** The certificate fields the validator reads, as `TLSSocket.getPeerCertificate()` gives them. */
export type PeerCertificateNames = Pick<PeerCertificate, 'subject' | 'subjectaltname'>

/**
 * Returns a check for an incoming peer's certificate (as `tlsSocket.getPeerCertificate(true)` gives
 * it, after the chain was verified) that throws {@link InvalidRoleOrRegionError} — message
 * `invalid role or region for certificate` — unless a DNS SAN, or failing those the CN, passes
 * {@link validateRpcRegionPeer} for `region`.
 *
 * @example
 * const check = rpcNameAndRegionValidator('global')
 * check(tlsSocket.getPeerCertificate(true)) // throws for a client of another region
 */
export function rpcNameAndRegionValidator(region: string): (cert: PeerCertificateNames) => void {
  return (cert) => {
    const names = certificateNames(cert)
    if (names.some((name) => validateRpcRegionPeer(name, region))) return
    throw new InvalidRoleOrRegionError(names, region)
  }
}

/** The names the region rule looks at, in order: every DNS SAN, then the subject's CN. */
export function certificateNames(cert: PeerCertificateNames | null | undefined): string[] {
  if (cert === null || cert === undefined) return []
  const names = dnsNamesOf(cert.subjectaltname)
  const cn = cert.subject?.CN as string | string[] | undefined
  // Go's x509 keeps the last CN when a subject carries several.
  const commonName = Array.isArray(cn) ? cn[cn.length - 1] : cn
  if (typeof commonName === 'string' && commonName !== '') names.push(commonName)
  return names
}

/**
 * Parses the DNS entries out of Node's `subjectaltname` string
 * (`DNS:a.b.nomad, DNS:localhost, IP Address:127.0.0.1`). Node writes a value holding a comma,
 * quote or control character as a JSON string (`DNS:"a, b"`), so those are decoded, not split.
 */
export function dnsNamesOf(subjectAltName: string | undefined): string[] {
  const names: string[] = []
  if (subjectAltName === undefined) return names
  let at = 0
  while (at < subjectAltName.length) {
    const colon = subjectAltName.indexOf(':', at)
    if (colon < 0) break
    const kind = subjectAltName.slice(at, colon)
    let value: string
    let end: number
    if (subjectAltName[colon + 1] === '"') {
      end = endOfJsonString(subjectAltName, colon + 1)
      const decoded = end < 0 ? undefined : decodeJsonString(subjectAltName.slice(colon + 1, end))
      if (decoded === undefined) break // not what Node writes: stop rather than guess
      value = decoded
    } else {
      const comma = subjectAltName.indexOf(', ', colon + 1)
      end = comma < 0 ? subjectAltName.length : comma
      value = subjectAltName.slice(colon + 1, end)
    }
    if (kind === 'DNS') names.push(value)
    at = end + 2 // skip ", "
  }
  return names
}

function decodeJsonString(text: string): string | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'string' ? value : undefined
  } catch {
    return undefined
  }
}

function endOfJsonString(text: string, open: number): number {
  let at = open + 1
  while (at < text.length) {
    if (text[at] === '\\') at += 2
    else if (text[at] === '"') return at + 1
    else at += 1
  }
  return -1
}
