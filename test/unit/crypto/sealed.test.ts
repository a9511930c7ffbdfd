import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type Keyring, keyringOf, readKeyring } from '../../../crypto/keyring.ts';
import {
  isSealed,
  OpenError,
  open,
  openBytes,
  type Sealed,
  seal,
  sealBytes,
} from '../../../crypto/sealed.ts';

const VAR = 'SLUICE_ENCRYPTION_KEY';

function ring(id: string, key = randomBytes(32)): Keyring {
  return readKeyring({ [VAR]: `${id}:${key.toString('base64')}` }, VAR)!;
}

function errorOf(read: () => unknown): Error {
  try {
    read();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

/** Flips one bit of a base64 field. */
function flip(base64: string, at = 0): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[at] = bytes[at]! ^ 1;
  return bytes.toString('base64');
}

describe('seal and open', () => {
  it('round-trips text and bytes, naming the key and leaving no plaintext in the sealed value', () => {
    const keyring = ring('k1');
    const text = 'password=hunter2 ünïcødé';
    const sealed = seal(keyring, text);
    expect(sealed.v).toBe(1);
    expect(sealed.keyId).toBe('k1');
    expect(Buffer.from(sealed.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(sealed.tag, 'base64')).toHaveLength(16);
    expect(JSON.stringify(sealed)).not.toContain('hunter2');
    expect(isSealed(sealed)).toBe(true);
    expect(open(keyring, sealed).toString('utf8')).toBe(text);

    const bytes = randomBytes(1000);
    expect(open(keyring, seal(keyring, bytes)).equals(bytes)).toBe(true);
    expect(open(keyring, seal(keyring, '')).length).toBe(0);
  });

  it('uses a fresh nonce for every seal', () => {
    const keyring = ring('k1');
    const a = seal(keyring, 'same');
    const b = seal(keyring, 'same');
    expect(a.iv).not.toBe(b.iv);
    expect(a.data).not.toBe(b.data);
  });

  it('fails to open with the wrong key under the same id', () => {
    const sealed = seal(ring('k1'), 'secret');
    const error = errorOf(() => open(ring('k1'), sealed));
    expect(error).toBeInstanceOf(OpenError);
    expect(error.message).toBe(
      'cannot open a value sealed with key "k1": the key does not match or the data was altered',
    );
  });

  it('fails to open altered data, nonce or tag, and a shortened tag', () => {
    const keyring = ring('k1');
    const sealed = seal(keyring, 'the quick brown fox');
    const altered: Sealed[] = [
      { ...sealed, data: flip(sealed.data, 3) },
      { ...sealed, iv: flip(sealed.iv) },
      { ...sealed, tag: flip(sealed.tag, 15) },
      { ...sealed, tag: Buffer.from(sealed.tag, 'base64').subarray(0, 12).toString('base64') },
      { ...sealed, data: Buffer.from(sealed.data, 'base64').subarray(1).toString('base64') },
    ];
    for (const value of altered) {
      expect(() => open(keyring, value), JSON.stringify(value)).toThrow(OpenError);
    }
  });

  it('binds the seal to its aad: another context, or none, does not open it', () => {
    const keyring = ring('k1');
    const sealed = seal(keyring, 'secret', 'gateway:warehouse');
    expect(open(keyring, sealed, 'gateway:warehouse').toString()).toBe('secret');
    expect(() => open(keyring, sealed, 'gateway:other')).toThrow(OpenError);
    expect(() => open(keyring, sealed)).toThrow(OpenError);
    expect(() => open(keyring, seal(keyring, 'secret'), 'gateway:warehouse')).toThrow(OpenError);
  });

  it('names an unknown key id and the variable, and the ids it holds, but no key material', () => {
    const key = randomBytes(32);
    const held = ring('current', key);
    const sealed = seal(ring('retired'), 'secret');
    const error = errorOf(() => open(held, sealed));
    expect(error).toBeInstanceOf(OpenError);
    expect(error.message).toBe(`sealed with key "retired", which ${VAR} does not hold (it holds "current")`);
    for (const form of ['base64', 'hex', 'base64url'] as const) {
      expect(error.message).not.toContain(key.toString(form));
    }
  });

  it('opens data sealed before a rotation with the previous key, and seals new data with the current one', () => {
    const oldKey = randomBytes(32);
    const before = ring('2025', oldKey);
    const sealedBefore = seal(before, 'old secret');
    const after = readKeyring(
      {
        [VAR]: `2026:${randomBytes(32).toString('base64')}`,
        [`${VAR}_PREVIOUS`]: `2025:${oldKey.toString('hex')}`,
      },
      VAR,
    )!;
    expect(open(after, sealedBefore).toString()).toBe('old secret');
    const sealedAfter = seal(after, 'new secret');
    expect(sealedAfter.keyId).toBe('2026');
    // the old keyring alone cannot open what the new key sealed
    expect(() => open(before, sealedAfter)).toThrow(/sealed with key "2026"/);
  });

  it('refuses something that is not a sealed value', () => {
    const keyring = ring('k1');
    for (const value of [null, {}, { v: 2, keyId: 'k1', iv: '', data: '', tag: '' }, 'text']) {
      expect(isSealed(value)).toBe(false);
      expect(() => open(keyring, value as unknown as Sealed)).toThrow(
        'not a sealed value (expected v, keyId, iv, data and tag)',
      );
    }
  });
});

describe('sealBytes and openBytes', () => {
  it('round-trips in one buffer of nonce, ciphertext and tag', () => {
    const keyring = keyringOf(randomBytes(32), 'bin');
    const plaintext = Buffer.from('SELECT * FROM orders');
    const { keyId, bytes } = sealBytes(keyring, plaintext, 'ctx');
    expect(keyId).toBe('bin');
    expect(bytes).toHaveLength(12 + plaintext.length + 16);
    expect(bytes.includes(plaintext)).toBe(false);
    expect(openBytes(keyring, keyId, bytes, 'ctx').equals(plaintext)).toBe(true);
    // a view into a larger buffer opens too
    const padded = Buffer.concat([Buffer.from('xx'), bytes]);
    expect(openBytes(keyring, keyId, padded.subarray(2), 'ctx').equals(plaintext)).toBe(true);
  });

  it('fails on altered bytes, the wrong aad, an unknown id, or a buffer too short to hold nonce and tag', () => {
    const keyring = keyringOf(randomBytes(32), 'bin', 'SLUICE_PAYLOAD_KEY');
    const { keyId, bytes } = sealBytes(keyring, 'payload', 'ctx');
    for (const at of [0, 12, bytes.length - 1]) {
      const altered = Buffer.from(bytes);
      altered[at] = altered[at]! ^ 0x80;
      expect(() => openBytes(keyring, keyId, altered, 'ctx')).toThrow(OpenError);
    }
    expect(() => openBytes(keyring, keyId, bytes, 'other')).toThrow(OpenError);
    expect(() => openBytes(keyring, 'nope', bytes, 'ctx')).toThrow(
      'sealed with key "nope", which SLUICE_PAYLOAD_KEY does not hold (it holds "bin")',
    );
    expect(() => openBytes(keyring, keyId, bytes.subarray(0, 27), 'ctx')).toThrow(
      'cannot open a value sealed with key "bin": 27 bytes is too short (nonce and tag alone are 28)',
    );
    // the empty plaintext is exactly nonce and tag
    const empty = sealBytes(keyring, '', 'ctx');
    expect(empty.bytes).toHaveLength(28);
    expect(openBytes(keyring, empty.keyId, empty.bytes, 'ctx')).toHaveLength(0);
  });
});
