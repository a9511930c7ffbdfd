/**
 * AES-256-GCM sealing with key ids: a sealed value names the key that sealed it, carries a fresh
 * 96-bit nonce and the authentication tag, and can be bound to a context string (`aad`, e.g. the
 * gateway a connection belongs to) so a ciphertext moved to another context fails to open.
 *
 * Two forms: `seal`/`open` give a JSON-friendly object (base64 fields), `sealBytes`/`openBytes` one
 * buffer (nonce, ciphertext, tag) for values that travel as bytes, such as Temporal payloads. The tag
 * is always the full 16 bytes: a shortened tag is refused, not checked on fewer bits.
 */

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Keyring } from './keyring.ts';

export interface Sealed {
  /** format version. */
  v: 1;
  /** the id of the key that sealed it (see keyring.ts). */
  keyId: string;
  /** base64 nonce, ciphertext and tag. */
  iv: string;
  data: string;
  tag: string;
}

export class OpenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpenError';
  }
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

export function seal(keyring: Keyring, plaintext: string | Uint8Array, aad?: string): Sealed {
  const { iv, data, tag } = encrypt(keyring.current.key, plaintext, aad);
  return {
    v: 1,
    keyId: keyring.current.id,
    iv: iv.toString('base64'),
    data: data.toString('base64'),
    tag: tag.toString('base64'),
  };
}

/** The plaintext of `sealed`; fails, naming the key id, when the key is unknown or the data was altered. */
export function open(keyring: Keyring, sealed: Sealed, aad?: string): Buffer {
  if (!isSealed(sealed)) throw new OpenError('not a sealed value (expected v, keyId, iv, data and tag)');
  return decrypt(
    keyring,
    sealed.keyId,
    Buffer.from(sealed.iv, 'base64'),
    Buffer.from(sealed.data, 'base64'),
    Buffer.from(sealed.tag, 'base64'),
    aad,
  );
}

/**
 * The binary form, for values that travel as bytes (Temporal payloads): nonce, ciphertext and tag in
 * one buffer, the key id kept beside it by the caller.
 */
export function sealBytes(
  keyring: Keyring,
  plaintext: string | Uint8Array,
  aad?: string,
): { keyId: string; bytes: Buffer } {
  const { iv, data, tag } = encrypt(keyring.current.key, plaintext, aad);
  return { keyId: keyring.current.id, bytes: Buffer.concat([iv, data, tag]) };
}

/** The plaintext of what `sealBytes` made with key `keyId`; fails as `open` does. */
export function openBytes(keyring: Keyring, keyId: string, bytes: Uint8Array, aad?: string): Buffer {
  if (bytes.length < IV_BYTES + TAG_BYTES) {
    throw new OpenError(
      `cannot open a value sealed with key "${keyId}": ${bytes.length} bytes is too short ` +
        `(nonce and tag alone are ${IV_BYTES + TAG_BYTES})`,
    );
  }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return decrypt(
    keyring,
    keyId,
    buffer.subarray(0, IV_BYTES),
    buffer.subarray(IV_BYTES, buffer.length - TAG_BYTES),
    buffer.subarray(buffer.length - TAG_BYTES),
    aad,
  );
}

function encrypt(
  key: Buffer,
  plaintext: string | Uint8Array,
  aad: string | undefined,
): { iv: Buffer; data: Buffer; tag: Buffer } {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  if (aad !== undefined) cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([
    cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext),
    cipher.final(),
  ]);
  return { iv, data, tag: cipher.getAuthTag() };
}

function decrypt(
  keyring: Keyring,
  keyId: string,
  iv: Buffer,
  data: Buffer,
  tag: Buffer,
  aad: string | undefined,
): Buffer {
  const key = keyring.keys.get(keyId);
  if (key === undefined) {
    throw new OpenError(
      `sealed with key "${keyId}", which ${keyring.variable} does not hold ` +
        `(it holds ${[...keyring.keys.keys()].map((id) => `"${id}"`).join(', ')})`,
    );
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    if (aad !== undefined) decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data), decipher.final()]);
  } catch {
    throw new OpenError(
      `cannot open a value sealed with key "${keyId}": the key does not match or the data was altered`,
    );
  }
}

export function isSealed(value: unknown): value is Sealed {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    v.v === 1 &&
    typeof v.keyId === 'string' &&
    typeof v.iv === 'string' &&
    typeof v.data === 'string' &&
    typeof v.tag === 'string'
  );
}
