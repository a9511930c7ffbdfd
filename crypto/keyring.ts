/**
 * AES-256 keys with ids, read from environment variables, so data sealed under one key can still be
 * opened after the key is rotated.
 *
 * A key is written `<id>:<key>` or just `<key>`, where `<key>` is 32 bytes as base64 (44 characters)
 * or hex (64 characters) and `<id>` is letters, digits, `.`, `_` or `-` (at most 32). Without an id,
 * the id is the first 8 hex digits of the key's SHA-256, so the same key always has the same id.
 *
 * `SLUICE_ENCRYPTION_KEY` (connections) and `SLUICE_PAYLOAD_KEY` (Temporal payloads) each hold the
 * current key; `<VARIABLE>_PREVIOUS` holds older keys, comma-separated, used only to open what was
 * sealed before a rotation. Errors name the variable and the entry, never the key.
 */

import { createHash } from 'node:crypto';

export const KEY_BYTES = 32;

export interface Keyring {
  /** the variable the keys came from, for messages. */
  variable: string;
  /** the key new data is sealed with. */
  current: { id: string; key: Buffer };
  /** every key that can open data: the current one and the previous ones, by id. */
  keys: ReadonlyMap<string, Buffer>;
}

export class KeyringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyringError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** The keyring `variable` (and `<variable>_PREVIOUS`) describe; undefined when `variable` is unset. */
export function readKeyring(env: Env, variable: string): Keyring | undefined {
  const value = env[variable]?.trim();
  const previousVariable = `${variable}_PREVIOUS`;
  const previousValue = env[previousVariable]?.trim();
  if (value === undefined || value === '') {
    if (previousValue) {
      throw new KeyringError(`${previousVariable} is set but ${variable} is not: set the current key too`);
    }
    return undefined;
  }
  const current = parseKey(variable, value);
  const keys = new Map<string, Buffer>([[current.id, current.key]]);
  const previous = (previousValue ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  previous.forEach((entry, index) => {
    const key = parseKey(`${previousVariable} (entry ${index + 1})`, entry);
    const known = keys.get(key.id);
    if (known !== undefined && !known.equals(key.key)) {
      throw new KeyringError(
        `${previousVariable} (entry ${index + 1}): key id "${key.id}" is already used by another key`,
      );
    }
    keys.set(key.id, key.key);
  });
  return { variable, current, keys };
}

/** A keyring from one key (tests, and callers that hold a key already). */
export function keyringOf(key: Buffer, id: string = keyId(key), variable = 'key'): Keyring {
  if (key.length !== KEY_BYTES) throw new KeyringError(`${variable}: an AES-256 key is ${KEY_BYTES} bytes`);
  return { variable, current: { id, key }, keys: new Map([[id, key]]) };
}

/** The id a key gets when none is written: the first 8 hex digits of its SHA-256. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

function parseKey(where: string, text: string): { id: string; key: Buffer } {
  const colon = text.indexOf(':');
  const id = colon === -1 ? undefined : text.slice(0, colon);
  const material = colon === -1 ? text : text.slice(colon + 1);
  if (id !== undefined && !/^[A-Za-z0-9._-]{1,32}$/.test(id)) {
    throw new KeyringError(
      `${where}: the key id before ':' must be 1 to 32 letters, digits, '.', '_' or '-'`,
    );
  }
  const key = decodeKey(material);
  if (key === undefined) {
    throw new KeyringError(
      `${where}: expected a 32-byte key as 64 hex digits or 44 base64 characters ` +
        `(e.g. the output of \`openssl rand -base64 32\`), optionally prefixed by "<id>:"`,
    );
  }
  return { id: id ?? keyId(key), key };
}

function decodeKey(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]{43}=$/.test(text) || /^[A-Za-z0-9_-]{43}=?$/.test(text)) {
    const key = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
    return key.length === KEY_BYTES ? key : undefined;
  }
  return undefined;
}
