import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { DecryptError, InvalidKeyError } from '../errors.js'

// memberlist's encrypted payload: [version u8][nonce 12][AES-GCM ciphertext ‖ tag 16].
// Version 0 PKCS#7-pads the plaintext to 16 bytes (memberlist protocol 1); version 1 does not.
const NONCE_SIZE = 12
const TAG_SIZE = 16
const BLOCK_SIZE = 16
const MAX_VERSION = 1

export type EncryptionVersion = 0 | 1

/** Largest number of bytes encryption adds. */
export function encryptOverhead(version: EncryptionVersion): number {
  return version === 0 ? 1 + NONCE_SIZE + TAG_SIZE + BLOCK_SIZE : 1 + NONCE_SIZE + TAG_SIZE
}

/** Exact size of an encrypted payload of `length` plaintext bytes. */
export function encryptedLength(version: EncryptionVersion, length: number): number {
  if (version >= 1) return 1 + NONCE_SIZE + length + TAG_SIZE
  const padding = BLOCK_SIZE - (length % BLOCK_SIZE)
  return 1 + NONCE_SIZE + length + padding + TAG_SIZE
}

/** Throws unless the key is 16, 24 or 32 bytes. */
export function validateKey(key: Uint8Array): void {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) throw new InvalidKeyError(key.length)
}

function algorithm(key: Uint8Array): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  validateKey(key)
  return key.length === 16 ? 'aes-128-gcm' : key.length === 24 ? 'aes-192-gcm' : 'aes-256-gcm'
}

/** Encrypts `msg` with `key`; `aad` is authenticated but not encrypted. */
export function encryptPayload(version: EncryptionVersion, key: Uint8Array, msg: Uint8Array, aad?: Uint8Array, nonce: Buffer = randomBytes(NONCE_SIZE)): Buffer {
  const cipher = createCipheriv(algorithm(key), key, nonce)
  if (aad !== undefined && aad.length > 0) cipher.setAAD(aad)
  let plain: Uint8Array = msg
  if (version === 0) {
    const padding = BLOCK_SIZE - (msg.length % BLOCK_SIZE)
    const padded = Buffer.alloc(msg.length + padding, padding)
    padded.set(msg)
    plain = padded
  }
  const body = cipher.update(plain)
  cipher.final()
  return Buffer.concat([Buffer.from([version]), nonce, body, cipher.getAuthTag()])
}

function openWith(key: Uint8Array, msg: Buffer, aad?: Uint8Array): Buffer | undefined {
  try {
    const decipher = createDecipheriv(algorithm(key), key, msg.subarray(1, 1 + NONCE_SIZE))
    if (aad !== undefined && aad.length > 0) decipher.setAAD(aad)
    decipher.setAuthTag(msg.subarray(msg.length - TAG_SIZE))
    const plain = decipher.update(msg.subarray(1 + NONCE_SIZE, msg.length - TAG_SIZE))
    decipher.final()
    return plain
  } catch {
    return undefined
  }
}

/** Decrypts by trying every key in order; throws {@link DecryptError} when none opens it. */
export function decryptPayload(keys: readonly Uint8Array[], msg: Buffer, aad?: Uint8Array): Buffer {
  if (msg.length === 0) throw new DecryptError('cannot decrypt empty payload')
  const version = msg[0]!
  if (version > MAX_VERSION) throw new DecryptError(`unsupported encryption version ${version}`)
  if (msg.length < encryptedLength(version as EncryptionVersion, 0)) throw new DecryptError('payload is too small to decrypt')
  for (const key of keys) {
    const plain = openWith(key, msg, aad)
    if (plain === undefined) continue
    if (version === 0) {
      const pad = plain[plain.length - 1]!
      if (pad === 0 || pad > BLOCK_SIZE || pad > plain.length) throw new DecryptError('bad padding')
      return plain.subarray(0, plain.length - pad)
    }
    return plain
  }
  throw new DecryptError('No installed keys could decrypt the message')
}
