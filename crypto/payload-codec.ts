/**
 * The optional Temporal payload codec: with `SLUICE_PAYLOAD_KEY` set, every payload sluice hands to
 * Temporal (workflow and activity inputs and results, signals, queries, updates, memos, summaries) is
 * serialized whole with the Payload protobuf and sealed with AES-256-GCM (crypto/sealed.ts), so a
 * shared Temporal server, its database and its Web UI see only ciphertext. Sealed payloads carry
 * `encoding: binary/encrypted` and `encryption-key-id: <id>` (the layout of Temporal's encryption
 * samples); decoding opens them with the keyring's current or previous keys
 * (`SLUICE_PAYLOAD_KEY_PREVIOUS`), so histories written before a rotation still read, and passes
 * every other payload through unchanged, so histories written before the codec was turned on do too.
 *
 * Temporal never runs search attributes, headers, workflow ids or failure messages through a codec:
 * those stay readable by the server.
 */

import { fileURLToPath } from 'node:url';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { METADATA_ENCODING_KEY } from '@temporalio/common';
import proto from '@temporalio/proto';
import { type Keyring, readKeyring } from './keyring.ts';
import { OpenError, openBytes, sealBytes } from './sealed.ts';
import { type PayloadStore, StoredPayloadCodec } from './stored-payload-codec.ts';
import { text, utf8 } from './utf8.ts';

export const PAYLOAD_KEY_VARIABLE = 'SLUICE_PAYLOAD_KEY';
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_KEY_ID = 'encryption-key-id';

/** Bound into every seal, so a payload cannot be passed off as another kind of sealed value. */
const PAYLOAD_AAD = 'sluice temporal payload v1';

const ProtoPayload = proto.temporal.api.common.v1.Payload;

type Env = Readonly<Record<string, string | undefined>>;

/** A payload the codec could not open: names the payload's key id, never key material. */
export class PayloadCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadCodecError';
  }
}

export class EncryptionCodec implements PayloadCodec {
  constructor(readonly keyring: Keyring) {}

  /** The id new payloads are sealed with. */
  get keyId(): string {
    return this.keyring.current.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const { keyId, bytes } = sealBytes(this.keyring, ProtoPayload.encode(payload).finish(), PAYLOAD_AAD);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING),
          [METADATA_KEY_ID]: utf8(keyId),
        },
        data: bytes,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decodeOne(payload));
  }

  private decodeOne(payload: Payload): Payload {
    const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
    if (encoding === undefined || encoding === null || text(encoding) !== ENCRYPTED_ENCODING) return payload;
    const keyIdBytes = payload.metadata?.[METADATA_KEY_ID];
    if (keyIdBytes === undefined || keyIdBytes === null || keyIdBytes.length === 0) {
      throw new PayloadCodecError(
        `an encrypted payload has no ${METADATA_KEY_ID} in its metadata: it was not sealed by sluice`,
      );
    }
    const keyId = text(keyIdBytes);
    let plaintext: Buffer;
    try {
      plaintext = openBytes(this.keyring, keyId, payload.data ?? new Uint8Array(), PAYLOAD_AAD);
    } catch (error) {
      if (error instanceof OpenError)
        throw new PayloadCodecError(`cannot decrypt a payload: ${error.message}`);
      throw error;
    }
    try {
      return ProtoPayload.decode(plaintext);
    } catch {
      throw new PayloadCodecError(
        `a payload sealed with key "${keyId}" opened, but does not hold a Temporal Payload message`,
      );
    }
  }
}

/** The codec for `keyring`. */
export function createPayloadCodec(keyring: Keyring): EncryptionCodec {
  return new EncryptionCodec(keyring);
}

/** The codec `SLUICE_PAYLOAD_KEY` describes; undefined when it is unset. Throws KeyringError on a bad key. */
export function payloadCodecFromEnv(env: Env): EncryptionCodec | undefined {
  const keyring = readKeyring(env, PAYLOAD_KEY_VARIABLE);
  return keyring === undefined ? undefined : createPayloadCodec(keyring);
}

/**
 * The failure converter that moves failure messages and stack traces into encoded payloads, so the
 * codec encrypts them too; workflow bundles take it by path (see workers/scheduler-worker.ts).
 */
export const ENCODED_FAILURE_CONVERTER_PATH = fileURLToPath(
  new URL('./failure-converter.cjs', import.meta.url),
);

/**
 * The data converter for clients and workers. Payloads pass the encryption codec when there is one
 * (and failure messages move into payloads, so it encrypts them too), then the stored-payload codec
 * (crypto/stored-payload-codec.ts), which keeps the large ones in `store`: a process without the
 * state database passes none, stores nothing and refuses stored payloads with an error naming them.
 */
export function dataConverterOf(codec: PayloadCodec | undefined, store?: PayloadStore): DataConverter {
  const stored = new StoredPayloadCodec(store);
  return codec === undefined
    ? { payloadCodecs: [stored] }
    : { payloadCodecs: [codec, stored], failureConverterPath: ENCODED_FAILURE_CONVERTER_PATH };
}
