import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto'
import { TlsKeyMismatchError, TlsPemError } from './errors.js'

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g
const ANY_BEGIN = /-----BEGIN [A-Z0-9 ]+-----/g

/**
 * Checks that `pem` holds one or more whole PEM certificates and nothing broken, and returns them
 * parsed (first = leaf for a certificate file). `source` names the file in the error.
 */
export function parseCertificates(pem: string, what: string, source: string): X509Certificate[] {
  const blocks = pem.match(CERTIFICATE_BLOCK) ?? []
  const begins = pem.match(ANY_BEGIN) ?? []
  if (blocks.length === 0) throw new TlsPemError(what, source, 'no PEM certificate found')
  if (begins.length !== blocks.length) {
    throw new TlsPemError(what, source, 'holds a broken or non-certificate PEM block')
  }
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block)
    } catch (cause) {
      throw new TlsPemError(what, source, `certificate ${index + 1} does not parse`, cause)
    }
  })
}

/** Parses a PEM private key; `source` names the file in the error. */
export function parsePrivateKey(pem: string, what: string, source: string): KeyObject {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new TlsPemError(what, source, 'no PEM private key found')
  }
  try {
    return createPrivateKey(pem)
  } catch (cause) {
    throw new TlsPemError(what, source, 'the private key does not parse', cause)
  }
}

/** Throws {@link TlsKeyMismatchError} unless `key` is the private half of `leaf`'s public key. */
export function checkKeyPair(leaf: X509Certificate, key: KeyObject, certSource: string, keySource: string): void {
  if (!leaf.checkPrivateKey(key)) throw new TlsKeyMismatchError(certSource, keySource)
}
