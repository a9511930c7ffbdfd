import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../config/configuration-error.ts';
import { KeyringError, readKeyring } from '../../../crypto/keyring.ts';
import {
  createPayloadCodec,
  dataConverterOf,
  ENCRYPTED_ENCODING,
  METADATA_KEY_ID,
  PayloadCodecError,
  payloadCodecFromEnv,
} from '../../../crypto/payload-codec.ts';
import { sealBytes } from '../../../crypto/sealed.ts';
import { readTemporalConfig } from '../../../workers/temporal-config.ts';

const VAR = 'SLUICE_PAYLOAD_KEY';

function codecWith(id: string, key = randomBytes(32), previous?: string) {
  const env = {
    [VAR]: `${id}:${key.toString('base64')}`,
    ...(previous ? { [`${VAR}_PREVIOUS`]: previous } : {}),
  };
  return createPayloadCodec(readKeyring(env, VAR)!);
}

const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('the payload codec', () => {
  it('seals each payload whole: binary/encrypted, the key id, and no plaintext', async () => {
    const codec = codecWith('p1');
    const input = [
      defaultPayloadConverter.toPayload({
        sql: 'SELECT secret_column FROM shop.orders',
        model: 'shop.orders',
      }),
      defaultPayloadConverter.toPayload(undefined),
      defaultPayloadConverter.toPayload(new Uint8Array([1, 2, 3])),
    ];
    const encoded = await codec.encode(input);
    expect(encoded).toHaveLength(3);
    for (const payload of encoded) {
      expect(Object.keys(payload.metadata!).sort()).toEqual(['encoding', METADATA_KEY_ID]);
      expect(text(payload.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
      expect(text(payload.metadata![METADATA_KEY_ID])).toBe('p1');
    }
    const everything = encoded.map((p) => Buffer.from(p.data!).toString('latin1')).join('');
    for (const plaintext of ['secret_column', 'shop.orders', 'json/plain', 'binary/null', 'binary/plain']) {
      expect(everything).not.toContain(plaintext);
    }
    const decoded = await codec.decode(encoded);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([
      { sql: 'SELECT secret_column FROM shop.orders', model: 'shop.orders' },
      undefined,
      new Uint8Array([1, 2, 3]),
    ]);
    expect(decoded.map((p) => text(p.metadata!.encoding))).toEqual([
      'json/plain',
      'binary/null',
      'binary/plain',
    ]);
    expect(await codec.encode([])).toEqual([]);
  });

  it('passes payloads that are not encrypted through unchanged', async () => {
    const codec = codecWith('p1');
    const plain = defaultPayloadConverter.toPayload('written before the codec was on');
    const bare: Payload = {};
    const decoded = await codec.decode([plain, bare]);
    expect(decoded[0]).toBe(plain);
    expect(decoded[1]).toBe(bare);
  });

  it('opens payloads sealed before a rotation with SLUICE_PAYLOAD_KEY_PREVIOUS', async () => {
    const oldKey = randomBytes(32);
    const before = codecWith('2025', oldKey);
    const sealed = await before.encode([defaultPayloadConverter.toPayload('old history')]);
    const after = codecWith('2026', randomBytes(32), `2025:${oldKey.toString('hex')}`);
    expect(defaultPayloadConverter.fromPayload((await after.decode(sealed))[0]!)).toBe('old history');
    const fresh = await after.encode([defaultPayloadConverter.toPayload('new')]);
    expect(text(fresh[0]!.metadata![METADATA_KEY_ID])).toBe('2026');
    expect(after.keyId).toBe('2026');
  });

  it('says which key id it lacks, naming the variable but no key material', async () => {
    const key = randomBytes(32);
    const sealed = await codecWith('elsewhere').encode([defaultPayloadConverter.toPayload('x')]);
    const error = await rejection(codecWith('here', key).decode(sealed));
    expect(error).toBeInstanceOf(PayloadCodecError);
    expect(error.message).toBe(
      `cannot decrypt a payload: sealed with key "elsewhere", which ${VAR} does not hold (it holds "here")`,
    );
    expect(error.message).not.toContain(key.toString('base64'));
    expect(error.message).not.toContain(key.toString('hex'));
  });

  it('refuses altered ciphertext, a missing key id, and a payload sealed as something else', async () => {
    const key = randomBytes(32);
    const codec = codecWith('p1', key);
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload('value')]);
    const altered = Buffer.from(sealed!.data!);
    altered[20] = altered[20]! ^ 1;
    expect(await rejection(codec.decode([{ ...sealed, data: altered }]))).toBeInstanceOf(PayloadCodecError);

    const withoutId = await rejection(
      codec.decode([{ metadata: { encoding: sealed!.metadata!.encoding! }, data: sealed!.data! }]),
    );
    expect(withoutId.message).toBe(
      'an encrypted payload has no encryption-key-id in its metadata: it was not sealed by sluice',
    );
    // the same key sealing a connection secret (another aad) does not make a payload
    const keyring = readKeyring({ [VAR]: `p1:${key.toString('base64')}` }, VAR)!;
    const foreign = sealBytes(keyring, 'not a payload', 'gateway:warehouse');
    const error = await rejection(codec.decode([{ metadata: sealed!.metadata!, data: foreign.bytes }]));
    expect(error.message).toBe(
      'cannot decrypt a payload: cannot open a value sealed with key "p1": the key does not match or the data was altered',
    );
  });
});

describe('configuration from the environment', () => {
  it('has no encryption codec without SLUICE_PAYLOAD_KEY: payloads only pass the stored-payload codec', () => {
    expect(payloadCodecFromEnv({})).toBeUndefined();
    expect(readTemporalConfig({}).payloadCodec).toBeUndefined();
    const converter = dataConverterOf(payloadCodecFromEnv({}));
    expect(converter.payloadCodecs?.map((codec) => codec.constructor.name)).toEqual(['StoredPayloadCodec']);
    expect(converter.failureConverterPath).toBeUndefined();
  });

  it('gives a data converter with the codec when the key is set', async () => {
    const env = { [VAR]: `dc:${randomBytes(32).toString('hex')}` };
    const converter = dataConverterOf(payloadCodecFromEnv(env));
    // encryption first, so a stored payload is stored sealed
    expect(converter.payloadCodecs?.map((codec) => codec.constructor.name)).toEqual([
      'EncryptionCodec',
      'StoredPayloadCodec',
    ]);
    expect(converter.failureConverterPath).toBeDefined();
    const [sealed] = await converter.payloadCodecs![0]!.encode([defaultPayloadConverter.toPayload(1)]);
    expect(text(sealed!.metadata![METADATA_KEY_ID])).toBe('dc');
    const config = readTemporalConfig(env);
    expect(config.payloadCodec).toBeDefined();
    expect(defaultPayloadConverter.fromPayload((await config.payloadCodec!.decode([sealed!]))[0]!)).toBe(1);
  });

  it('rejects a bad key as a configuration error naming the variable, not the value', () => {
    const value = 'not-a-key-at-all';
    expect(() => payloadCodecFromEnv({ [VAR]: value })).toThrow(KeyringError);
    let error: Error | undefined;
    try {
      readTemporalConfig({ [VAR]: value });
    } catch (caught) {
      error = caught as Error;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error!.message).toMatch(/^SLUICE_PAYLOAD_KEY: expected a 32-byte key/);
    expect(error!.message).not.toContain(value);
    expect(() => readTemporalConfig({ [`${VAR}_PREVIOUS`]: randomBytes(32).toString('base64') })).toThrow(
      new ConfigurationError(`${VAR}_PREVIOUS is set but ${VAR} is not: set the current key too`),
    );
  });
});
