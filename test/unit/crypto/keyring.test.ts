import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KEY_BYTES, KeyringError, keyId, keyringOf, readKeyring } from '../../../crypto/keyring.ts';

const VAR = 'SLUICE_PAYLOAD_KEY';
const PREVIOUS = 'SLUICE_PAYLOAD_KEY_PREVIOUS';

function key(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** The error `read` throws; fails the test when it throws none. */
function errorOf(read: () => unknown): Error {
  try {
    read();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('readKeyring', () => {
  it('is undefined when the variable is unset or blank', () => {
    expect(readKeyring({}, VAR)).toBeUndefined();
    expect(readKeyring({ [VAR]: '   ' }, VAR)).toBeUndefined();
  });

  it('reads a base64 key and names it by the first 8 hex digits of its SHA-256', () => {
    const k = key();
    const keyring = readKeyring({ [VAR]: k.toString('base64') }, VAR)!;
    const expectedId = createHash('sha256').update(k).digest('hex').slice(0, 8);
    expect(keyring.variable).toBe(VAR);
    expect(keyring.current.id).toBe(expectedId);
    expect(keyId(k)).toBe(expectedId);
    expect(keyring.current.key.equals(k)).toBe(true);
    expect([...keyring.keys.keys()]).toEqual([expectedId]);
  });

  it('reads hex and base64url keys, with or without an id, trimming spaces', () => {
    const k = key();
    expect(readKeyring({ [VAR]: k.toString('hex') }, VAR)!.current.key.equals(k)).toBe(true);
    expect(readKeyring({ [VAR]: k.toString('hex').toUpperCase() }, VAR)!.current.key.equals(k)).toBe(true);
    expect(readKeyring({ [VAR]: k.toString('base64url') }, VAR)!.current.key.equals(k)).toBe(true);
    const named = readKeyring({ [VAR]: `  2026-q1:${k.toString('base64')}  ` }, VAR)!;
    expect(named.current).toEqual({ id: '2026-q1', key: k });
  });

  it('keeps previous keys by id so older data can still be opened', () => {
    const [current, old1, old2] = [key(), key(), key()];
    const keyring = readKeyring(
      {
        [VAR]: `new:${current.toString('base64')}`,
        [PREVIOUS]: ` old1:${old1.toString('hex')} ,, ${old2.toString('base64')} `,
      },
      VAR,
    )!;
    expect(keyring.current.id).toBe('new');
    expect([...keyring.keys.keys()]).toEqual(['new', 'old1', keyId(old2)]);
    expect(keyring.keys.get('old1')!.equals(old1)).toBe(true);
    expect(keyring.keys.get(keyId(old2))!.equals(old2)).toBe(true);
  });

  it('accepts the same key listed twice under one id', () => {
    const k = key();
    const keyring = readKeyring(
      { [VAR]: `a:${k.toString('base64')}`, [PREVIOUS]: `a:${k.toString('hex')}` },
      VAR,
    )!;
    expect([...keyring.keys.keys()]).toEqual(['a']);
  });

  it('refuses an id used by two different keys, naming the entry and the id', () => {
    const [a, b] = [key(), key()];
    const error = errorOf(() =>
      readKeyring({ [VAR]: `k1:${a.toString('base64')}`, [PREVIOUS]: `k1:${b.toString('base64')}` }, VAR),
    );
    expect(error).toBeInstanceOf(KeyringError);
    expect(error.message).toBe(`${PREVIOUS} (entry 1): key id "k1" is already used by another key`);
    const among = errorOf(() =>
      readKeyring(
        { [VAR]: a.toString('base64'), [PREVIOUS]: `x:${key().toString('hex')},x:${b.toString('hex')}` },
        VAR,
      ),
    );
    expect(among.message).toBe(`${PREVIOUS} (entry 2): key id "x" is already used by another key`);
  });

  it('refuses previous keys without a current one', () => {
    const error = errorOf(() => readKeyring({ [PREVIOUS]: key().toString('base64') }, VAR));
    expect(error).toBeInstanceOf(KeyringError);
    expect(error.message).toBe(`${PREVIOUS} is set but ${VAR} is not: set the current key too`);
  });

  it('rejects badly formed keys, naming the variable and never echoing the value', () => {
    const k = key();
    const bad = [
      k.subarray(0, 16).toString('base64'), // 16 bytes
      k.toString('hex').slice(0, 63), // one hex digit short
      `${k.toString('hex')}00`, // 33 bytes of hex
      Buffer.concat([k, k]).toString('base64'), // 64 bytes
      'correct horse battery staple correct horse battery staple', // a passphrase
      `${k.toString('base64').slice(0, 43)}!`, // not base64
    ];
    for (const value of bad) {
      const error = errorOf(() => readKeyring({ [VAR]: value }, VAR));
      expect(error, value).toBeInstanceOf(KeyringError);
      expect(error.message).toMatch(
        new RegExp(`^${VAR}: expected a 32-byte key as 64 hex digits or 44 base64`),
      );
      expect(error.message).not.toContain(value);
    }
    const previous = errorOf(() =>
      readKeyring({ [VAR]: k.toString('base64'), [PREVIOUS]: `${key().toString('hex')},tooshort` }, VAR),
    );
    expect(previous.message).toMatch(new RegExp(`^${PREVIOUS} \\(entry 2\\): expected a 32-byte key`));
    expect(previous.message).not.toContain('tooshort');
  });

  it('rejects a bad key id, naming the variable and not the key', () => {
    const material = key().toString('base64');
    for (const id of ['has space', 'x'.repeat(33), 'semi;colon', 'ü']) {
      const error = errorOf(() => readKeyring({ [VAR]: `${id}:${material}` }, VAR));
      expect(error, id).toBeInstanceOf(KeyringError);
      expect(error.message).toBe(
        `${VAR}: the key id before ':' must be 1 to 32 letters, digits, '.', '_' or '-'`,
      );
    }
    const empty = errorOf(() => readKeyring({ [VAR]: `:${material}` }, VAR));
    expect(empty.message).toMatch(/the key id before ':'/);
    expect(empty.message).not.toContain(material);
  });
});

describe('keyringOf', () => {
  it('wraps one key under its derived or given id, and refuses a key of the wrong size', () => {
    const k = key();
    expect(keyringOf(k).current).toEqual({ id: keyId(k), key: k });
    expect(keyringOf(k, 'mine', 'TEST_KEY').variable).toBe('TEST_KEY');
    expect(() => keyringOf(randomBytes(16), 'short', 'TEST_KEY')).toThrow(
      'TEST_KEY: an AES-256 key is 32 bytes',
    );
  });
});
