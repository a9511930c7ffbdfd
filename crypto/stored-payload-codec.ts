/**
 * The payload codec that keeps large payloads out of Temporal: when the payloads of one call pass
 * STORE_ABOVE_BYTES together (an environment's schedule, a run's work or a plan's views for
 * thousands of models), the largest are kept in a store (the state database: state/stored-payloads.ts) under the SHA-256 of
 * its bytes, and the history holds only a small payload naming that key, with
 * `encoding: binary/sluice-stored`. So no payload in a history passes Temporal's 256 KB warning nor
 * its 2 MB limit, however many models an environment has. It runs after the encryption codec, so
 * the store holds ciphertext when SLUICE_PAYLOAD_KEY is set.
 *
 * Only processes with the state database store and read payloads: the scheduler worker, the API and
 * `sluice dev`. Executors never reach it, so everything the workflows hand them stays under the
 * threshold (segments, table requests and view changes go in bounded chunks); an executor given a
 * stored payload fails with an error that names its key. Every other payload passes through.
 */

import { createHash } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { METADATA_ENCODING_KEY } from '@temporalio/common';
import proto from '@temporalio/proto';
import { text, utf8 } from './utf8.ts';

export const STORED_ENCODING = 'binary/sluice-stored';
export const METADATA_STORED_KEY = 'sluice-stored-payload';

/**
 * Payloads above this many serialized bytes are stored: under Temporal's 256 KB warning, and above
 * everything sent to executors (a segment is prepared up to 192 KB).
 */
export const STORE_ABOVE_BYTES = 240 * 1024;

const ProtoPayload = proto.temporal.api.common.v1.Payload;

/** Where large payloads are kept, by key. */
export interface PayloadStore {
  put(entries: ReadonlyArray<{ key: string; data: Uint8Array }>): Promise<void>;
  get(keys: readonly string[]): Promise<Map<string, Uint8Array>>;
}

/** A stored payload that cannot be read: names its key, never its contents. */
export class StoredPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoredPayloadError';
  }
}

export class StoredPayloadCodec implements PayloadCodec {
  /**
   * `store` undefined: nothing is stored (every payload passes through) and a stored payload cannot
   * be decoded, as in an executor.
   */
  constructor(
    private readonly store: PayloadStore | undefined,
    private readonly storeAboveBytes: number = STORE_ABOVE_BYTES,
  ) {}

  /**
   * The payloads of one call travel together (a workflow's arguments, say), and Temporal measures
   * them together: the largest are stored until what stays inline fits under the threshold.
   */
  async encode(payloads: Payload[]): Promise<Payload[]> {
    const store = this.store;
    if (store === undefined) return payloads;
    const sizes = payloads.map((payload) => (payload.data?.byteLength ?? 0) + metadataBytes(payload));
    let inline = sizes.reduce((sum, size) => sum + size, 0);
    const largestFirst = sizes.map((size, index) => ({ size, index })).sort((a, b) => b.size - a.size);
    const entries: Array<{ key: string; data: Uint8Array }> = [];
    const encoded = [...payloads];
    for (const { size, index } of largestFirst) {
      if (inline <= this.storeAboveBytes) break;
      const data = ProtoPayload.encode(payloads[index]!).finish();
      const key = createHash('sha256').update(data).digest('hex');
      entries.push({ key, data });
      encoded[index] = reference(key, data.byteLength);
      inline -= size;
    }
    await store.put(entries);
    return encoded;
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    const keys = payloads.map(storedKey);
    const wanted = keys.filter((key): key is string => key !== undefined);
    if (wanted.length === 0) return payloads;
    if (this.store === undefined) {
      throw new StoredPayloadError(
        `payload ${wanted[0]} is kept in sluice's state database, which this process does not reach; only the scheduler worker, the API and sluice dev read stored payloads`,
      );
    }
    const found = await this.store.get(wanted);
    return payloads.map((payload, index) => {
      const key = keys[index];
      if (key === undefined) return payload;
      const data = found.get(key);
      if (data === undefined) {
        throw new StoredPayloadError(
          `payload ${key} is not in the state database's stored_payloads: it was deleted or never stored there`,
        );
      }
      return ProtoPayload.decode(data);
    });
  }
}

/** The payload a history holds in place of a stored one. */
function reference(key: string, size: number): Payload {
  return {
    metadata: { [METADATA_ENCODING_KEY]: utf8(STORED_ENCODING), [METADATA_STORED_KEY]: utf8(key) },
    data: utf8(JSON.stringify({ storedPayload: key, bytes: size })),
  };
}

/** The key of a stored payload's reference; undefined for any other payload. */
function storedKey(payload: Payload): string | undefined {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  if (encoding === undefined || encoding === null || text(encoding) !== STORED_ENCODING) return undefined;
  const key = payload.metadata?.[METADATA_STORED_KEY];
  if (key === undefined || key === null || key.length === 0) {
    throw new StoredPayloadError(
      `a ${STORED_ENCODING} payload has no ${METADATA_STORED_KEY} in its metadata`,
    );
  }
  return text(key);
}

function metadataBytes(payload: Payload): number {
  let size = 0;
  for (const [name, value] of Object.entries(payload.metadata ?? {}))
    size += name.length + (value?.byteLength ?? 0);
  return size;
}
