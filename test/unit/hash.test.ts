import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../core/hash.ts';

describe('sha256Hex', () => {
  it('matches the FIPS 180-4 test vectors', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    expect(sha256Hex('a'.repeat(1_000_000))).toBe(
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    );
  });

  it('matches the NIST short-message vectors on raw bytes', () => {
    expect(sha256Hex(Uint8Array.of(0xbd))).toBe(
      '68325720aabd7c82f30f554b313d0570c95accbb7dc4b5aae11204c08ffe732b',
    );
    expect(sha256Hex(Uint8Array.of(0xc9, 0x8c, 0x8e, 0x55))).toBe(
      '7abc22c0ae5af26ce93dbb94433a0e0b2e119d014f8e7f65bd56c61ccccd9504',
    );
  });

  // Fingerprints are stored: these digests were computed before, and must never change.
  it('hashes a string as its UTF-8 bytes, a lone surrogate as U+FFFD', () => {
    expect(sha256Hex('héllo €😀')).toBe('5350f147c6ff4293fd01390ef97e6cdb1cf3ad691d5c47f77246262f59dd1003');
    expect(sha256Hex('\ud800x')).toBe('a87ce46793cc659b79bd187e998f8488635f707d5be0957e1d565981efd2b04b');
    expect(sha256Hex('\ud800x')).toBe(sha256Hex(Uint8Array.of(0xef, 0xbf, 0xbd, 0x78)));
    expect(sha256Hex('x\udc00')).toBe('5f350b94b4920d9b754a97c80041225f8d86f46f57886ec93ba109e432454d6a');
    expect(sha256Hex('end\ud83d')).toBe('1066bdb836055509d56156be1e05382501e73a6c9e9e2c25c7ea99588911d1e4');
  });
});
