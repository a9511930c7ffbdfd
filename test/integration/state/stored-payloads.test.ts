import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { count, eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { readKeyring } from '../../../crypto/keyring.ts';
import { createPayloadCodec, dataConverterOf } from '../../../crypto/payload-codec.ts';
import {
  METADATA_STORED_KEY,
  STORE_ABOVE_BYTES,
  STORED_ENCODING,
  StoredPayloadCodec,
  StoredPayloadError,
} from '../../../crypto/stored-payload-codec.ts';
import { text as utf8Text } from '../../../crypto/utf8.ts';
import { storedPayloads } from '../../../db/schema.ts';
import { deleteStoredPayloadsBefore, statePayloadStore } from '../../../state/stored-payloads.ts';
import { DRIVERS, useStateDb } from './harness.ts';

/** An environment's schedule as large as thousands of models make it. */
function schedule(models: number): Payload {
  return defaultPayloadConverter.toPayload(
    Array.from({ length: models }, (_, i) => ({
      name: `analytics.model_${String(i).padStart(5, '0')}`,
      snapshotId: `analytics.model_${String(i).padStart(5, '0')}@${randomBytes(5).toString('hex')}`,
      cron: '@daily',
      dependsOn: i === 0 ? [] : [`analytics.model_${String(i - 1).padStart(5, '0')}`],
    })),
  );
}

const DAY = 86_400_000;

function text(bytes: Uint8Array | null | undefined): string {
  return utf8Text(bytes ?? new Uint8Array());
}

/** Encodes through every codec in order and decodes in reverse, as Temporal's SDK does. */
async function roundTrip(codecs: ReturnType<typeof dataConverterOf>['payloadCodecs'], payload: Payload) {
  let encoded = [payload];
  for (const codec of codecs ?? []) encoded = await codec.encode(encoded);
  let decoded = encoded;
  for (const codec of [...(codecs ?? [])].reverse()) decoded = await codec.decode(decoded);
  return { encoded: encoded[0]!, decoded: decoded[0]! };
}

describe.each(DRIVERS)('stored payloads on %s', (driver) => {
  const state = useStateDb(driver, 'stored_payloads');

  it('keeps a payload over the threshold in the state database and hands Temporal only its key', async () => {
    const codec = new StoredPayloadCodec(statePayloadStore(state.db));
    const small = schedule(10);
    const large = schedule(5_000);
    expect(large.data!.byteLength).toBeGreaterThan(STORE_ABOVE_BYTES);

    const [keptSmall, reference] = await codec.encode([small, large]);
    expect(keptSmall).toBe(small);
    expect(text(reference!.metadata![METADATA_ENCODING_KEY])).toBe(STORED_ENCODING);
    const key = text(reference!.metadata![METADATA_STORED_KEY]);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(reference!.data!.byteLength).toBeLessThan(200);
    expect(JSON.parse(text(reference!.data))).toEqual({ storedPayload: key, bytes: expect.any(Number) });

    const [row] = await state.db.select().from(storedPayloads).where(eq(storedPayloads.key, key));
    expect(row!.size).toBeGreaterThan(large.data!.byteLength);
    const [smallAgain, decoded] = await codec.decode([keptSmall!, reference!]);
    expect(smallAgain).toBe(small);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(defaultPayloadConverter.fromPayload(large));
  });

  it("stores the largest of one call's payloads until the rest fit together under the threshold", async () => {
    const codec = new StoredPayloadCodec(statePayloadStore(state.db), 10_000);
    const [a, b, c] = [schedule(60), schedule(40), schedule(5)];
    expect(a.data!.byteLength + b.data!.byteLength).toBeGreaterThan(10_000);
    expect(b.data!.byteLength + c.data!.byteLength).toBeLessThan(10_000);
    const encoded = await codec.encode([b, a, c]);
    expect(encoded.map((payload) => text(payload.metadata![METADATA_ENCODING_KEY]))).toEqual([
      'json/plain',
      STORED_ENCODING,
      'json/plain',
    ]);
    const decoded = await codec.decode(encoded);
    expect(decoded.map((payload) => defaultPayloadConverter.fromPayload(payload))).toEqual(
      [b, a, c].map((payload) => defaultPayloadConverter.fromPayload(payload)),
    );
  });

  it('stores the same bytes once and moves their stored_at forward, so the newest history that names them keeps them', async () => {
    const codec = new StoredPayloadCodec(statePayloadStore(state.db), 1_000);
    const payload = schedule(100);
    const [first] = await codec.encode([payload]);
    const key = text(first!.metadata![METADATA_STORED_KEY]);
    // relative to the clock the store stamps with, so the test holds on any day
    const old = new Date(Date.now() - 30 * DAY);
    await state.db.update(storedPayloads).set({ storedAt: old }).where(eq(storedPayloads.key, key));
    const [again] = await codec.encode([payload]);
    expect(text(again!.metadata![METADATA_STORED_KEY])).toBe(key);
    const rows = await state.db.select().from(storedPayloads).where(eq(storedPayloads.key, key));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.storedAt.getTime()).toBeGreaterThan(old.getTime());
  });

  it('sends the bytes of a key it holds already no more, and stores a key given twice in one call once', async () => {
    const store = statePayloadStore(state.db);
    const bytes = new Uint8Array([1, 2, 3]);
    await store.put([
      { key: 'k1', data: bytes },
      { key: 'k1', data: bytes },
    ]);
    const old = new Date(Date.now() - 30 * DAY);
    await state.db.update(storedPayloads).set({ storedAt: old }).where(eq(storedPayloads.key, 'k1'));
    // the key names the bytes: what is stored under it stays, only stored_at moves
    await store.put([
      { key: 'k1', data: new Uint8Array([9]) },
      { key: 'k2', data: new Uint8Array([4, 5]) },
    ]);
    const rows = await state.db
      .select()
      .from(storedPayloads)
      .where(inArray(storedPayloads.key, ['k1', 'k2']))
      .orderBy(storedPayloads.key);
    expect(rows.map((row) => [row.key, [...new Uint8Array(row.data)], row.size])).toEqual([
      ['k1', [1, 2, 3], 3],
      ['k2', [4, 5], 2],
    ]);
    expect(rows[0]!.storedAt.getTime()).toBeGreaterThan(old.getTime());
    expect(await store.get(['k2', 'k1', 'k3'])).toEqual(
      new Map([
        ['k1', new Uint8Array([1, 2, 3])],
        ['k2', new Uint8Array([4, 5])],
      ]),
    );
  });

  it('stores a sealed payload when SLUICE_PAYLOAD_KEY is set: the state database sees ciphertext only', async () => {
    const keyring = readKeyring({ KEY: `k1:${randomBytes(32).toString('hex')}` }, 'KEY')!;
    const converter = dataConverterOf(createPayloadCodec(keyring), statePayloadStore(state.db));
    const payload = schedule(5_000);
    const { encoded, decoded } = await roundTrip(converter.payloadCodecs, payload);
    const key = text(encoded.metadata![METADATA_STORED_KEY]);
    const [row] = await state.db.select().from(storedPayloads).where(eq(storedPayloads.key, key));
    expect(Buffer.from(row!.data).includes('analytics.model_00042')).toBe(false);
    expect(defaultPayloadConverter.fromPayload(decoded)).toEqual(
      defaultPayloadConverter.fromPayload(payload),
    );
  });

  it('refuses a stored payload whose row is gone, naming its key', async () => {
    const store = statePayloadStore(state.db);
    const codec = new StoredPayloadCodec(store, 1_000);
    const [reference] = await codec.encode([schedule(100)]);
    const key = text(reference!.metadata![METADATA_STORED_KEY]);
    await state.db.delete(storedPayloads).where(eq(storedPayloads.key, key));
    await expect(codec.decode([reference!])).rejects.toThrow(
      new StoredPayloadError(
        `payload ${key} is not in the state database's stored_payloads: it was deleted or never stored there`,
      ),
    );
  });

  it('deletes only the payloads last stored before the cut-off', async () => {
    const codec = new StoredPayloadCodec(statePayloadStore(state.db), 1_000);
    const [kept, swept] = await codec.encode([schedule(100), schedule(101)]);
    const sweptKey = text(swept!.metadata![METADATA_STORED_KEY]);
    await state.db
      .update(storedPayloads)
      .set({ storedAt: new Date(Date.now() - 30 * DAY) })
      .where(eq(storedPayloads.key, sweptKey));
    const deleted = await deleteStoredPayloadsBefore(state.db, new Date(Date.now() - 29 * DAY));
    expect(deleted.payloads).toBe(1);
    expect(deleted.bytes).toBeGreaterThan(0);
    await expect(codec.decode([kept!])).resolves.toHaveLength(1);
    await expect(codec.decode([swept!])).rejects.toThrow(sweptKey);
    const [{ rows }] = (await state.db.select({ rows: count() }).from(storedPayloads)) as [{ rows: number }];
    expect(rows).toBeGreaterThan(0);
  });
});

describe('a process without the state database (an executor)', () => {
  it('stores nothing and refuses a stored payload with an error that names its key and says who reads it', async () => {
    const codec = new StoredPayloadCodec(undefined);
    const large = schedule(5_000);
    const [inline] = await codec.encode([large]);
    expect(inline).toBe(large);
    const reference: Payload = {
      metadata: {
        [METADATA_ENCODING_KEY]: Buffer.from(STORED_ENCODING),
        [METADATA_STORED_KEY]: Buffer.from('ab12'),
      },
      data: Buffer.from('{}'),
    };
    await expect(codec.decode([reference])).rejects.toThrow(
      "payload ab12 is kept in sluice's state database, which this process does not reach; only the scheduler worker, the API and sluice dev read stored payloads",
    );
  });

  it('refuses a stored-payload reference without its key', async () => {
    const codec = new StoredPayloadCodec(undefined);
    await expect(
      codec.decode([
        { metadata: { [METADATA_ENCODING_KEY]: Buffer.from(STORED_ENCODING) }, data: Buffer.from('{}') },
      ]),
    ).rejects.toThrow(`a ${STORED_ENCODING} payload has no ${METADATA_STORED_KEY} in its metadata`);
  });
});
