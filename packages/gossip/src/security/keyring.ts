import { KeyNotFoundError } from '../errors.js'
import { validateKey } from './encrypt.js'

/**
 * The gossip keyring: ordered keys, the first one (primary) encrypts, every key is tried to
 * decrypt. Keys are AES keys of 16, 24 or 32 bytes.
 */
export class Keyring {
  private keys: Buffer[] = []

  /** `primary` (if given) goes first; the others follow in order. */
  constructor(keys: readonly Uint8Array[] = [], primary?: Uint8Array) {
    if (primary !== undefined) this.addKey(primary)
    for (const k of keys) this.addKey(k)
    if (primary !== undefined) this.useKey(primary)
  }

  /** Installs a key (idempotent). The first key installed becomes primary. */
  addKey(key: Uint8Array): void {
    validateKey(key)
    const k = Buffer.from(key)
    if (this.keys.some((x) => x.equals(k))) return
    this.keys.push(k)
  }

  /** Makes an installed key primary. */
  useKey(key: Uint8Array): void {
    const k = Buffer.from(key)
    const idx = this.keys.findIndex((x) => x.equals(k))
    if (idx < 0) throw new KeyNotFoundError('Requested key is not in the keyring')
    this.keys.splice(idx, 1)
    this.keys.unshift(k)
  }

  /** Removes a key; the primary key cannot be removed; unknown keys are ignored. */
  removeKey(key: Uint8Array): void {
    const k = Buffer.from(key)
    if (this.keys[0]?.equals(k)) throw new KeyNotFoundError('Removing the primary key is not allowed')
    this.keys = this.keys.filter((x) => !x.equals(k))
  }

  /** Every key, primary first. */
  getKeys(): Buffer[] {
    return [...this.keys]
  }

  getPrimaryKey(): Buffer | undefined {
    return this.keys[0]
  }

  get size(): number {
    return this.keys.length
  }
}
