/**
 * The S3 artifact store against a real S3-compatible server (moto): every request signed with
 * SigV4, objects written, read, listed under the store's prefix and removed; a failure named with
 * the operation and the server's error code; the retention sweep on it. (moto takes any signature
 * by default: the signing itself is checked against AWS's published example in sigv4.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchedulerActivities } from '../../../activities/scheduler/index.ts';
import { artifactStoreOf } from '../../../artifacts/from-config.ts';
import { S3ArtifactStore } from '../../../artifacts/s3-store.ts';
import { signRequest } from '../../../artifacts/sigv4.ts';
import { ConfigurationError } from '../../../config/configuration-error.ts';
import { createStateDb, type StateConnection } from '../../../db/client.ts';
import { type MotoServer, requireMoto, startMoto } from '../../support/moto.ts';

const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const DAY = 86_400_000;

requireMoto();

describe('S3 artifact store', () => {
  let moto: MotoServer;
  let state: StateConnection;
  const store = (prefix = 'team/prod/', credentials = CREDENTIALS) =>
    new S3ArtifactStore({
      endpoint: moto.endpoint,
      region: 'eu-west-1',
      bucket: 'sluice-artifacts',
      prefix,
      credentials,
    });

  beforeAll(async () => {
    moto = await startMoto();
    state = createStateDb({ url: 'memory://' });
    // the bucket, made with a request signed the way the store signs its own
    const url = new URL(`${moto.endpoint}/sluice-artifacts`);
    const body =
      '<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>';
    const { host: _host, ...headers } = signRequest(
      { method: 'PUT', url, headers: {}, body },
      CREDENTIALS,
      'eu-west-1',
      new Date(),
    );
    const created = await fetch(url, { method: 'PUT', headers, body });
    expect(created.status, await created.text()).toBe(200);
  }, 90_000);
  afterAll(async () => {
    await state?.close();
    await moto?.stop();
  });

  it('writes, reads back, overwrites, lists under its prefix and removes', async () => {
    const s3 = store();
    expect(s3.location).toBe('s3://sluice-artifacts/team/prod');
    await s3.put('runs/r1/run_results.json', '{"a":1}', 'application/json');
    await s3.put(
      'runs/r1/compiled/marts.revenue/20261125T0000Z_20261126T0000Z.sql',
      'SELECT 1;',
      'application/sql',
    );
    await s3.put('runs/r10/run_results.json', '{}', 'application/json');
    await s3.put('runs/r1/run_results.json', '{"a":2}', 'application/json');
    await store('team/dev/').put('runs/r1/run_results.json', '{"other":true}', 'application/json');
    expect(new TextDecoder().decode((await s3.get('runs/r1/run_results.json'))!)).toBe('{"a":2}');
    expect(await s3.get('runs/r2/run_results.json')).toBeNull();
    const listed = await s3.list('runs/r1/');
    expect(listed.map((a) => [a.key, a.size])).toEqual([
      ['runs/r1/compiled/marts.revenue/20261125T0000Z_20261126T0000Z.sql', 9],
      ['runs/r1/run_results.json', 7],
    ]);
    expect(listed.every((a) => Math.abs(a.lastModified - Date.now()) < DAY)).toBe(true);
    expect((await s3.list('runs/')).map((a) => a.key)).toHaveLength(3);
    await s3.remove(['runs/r1/run_results.json', 'runs/r1/gone.json']);
    expect((await s3.list('runs/r1/')).map((a) => a.key)).toEqual([
      'runs/r1/compiled/marts.revenue/20261125T0000Z_20261126T0000Z.sql',
    ]);
    // another prefix is another store
    expect(new TextDecoder().decode((await store('team/dev/').get('runs/r1/run_results.json'))!)).toBe(
      '{"other":true}',
    );
  });

  it('refuses keys that would leave the prefix before any request', async () => {
    for (const key of ['../team/dev/runs/r1/run_results.json', '/x', 'runs/./x']) {
      await expect(store().put(key, 'x', 'text/plain')).rejects.toThrow(/artifact path/);
      await expect(store().get(key)).rejects.toThrow(/artifact path/);
    }
  });

  it('says which operation failed and the server error', async () => {
    const missing = new S3ArtifactStore({
      endpoint: moto.endpoint,
      region: 'eu-west-1',
      bucket: 'no-such-bucket',
      prefix: '',
      credentials: CREDENTIALS,
    });
    await expect(missing.list('runs/')).rejects.toThrow('ListObjectsV2 runs/ failed: NoSuchBucket');
  });

  it('is what SLUICE_ARTIFACTS=s3://… names, with both keys required', () => {
    const location = { kind: 's3', bucket: 'sluice-artifacts', prefix: 'team/' } as const;
    const built = artifactStoreOf(
      {
        SLUICE_ARTIFACTS: location,
        SLUICE_ARTIFACTS_S3_ENDPOINT: moto.endpoint,
        SLUICE_ARTIFACTS_S3_ACCESS_KEY_ID: 'a',
        SLUICE_ARTIFACTS_S3_SECRET_ACCESS_KEY: 'b',
      },
      '/unused',
      '/unused',
    );
    expect(built.location).toBe('s3://sluice-artifacts/team');
    expect(() =>
      artifactStoreOf({ SLUICE_ARTIFACTS: location, SLUICE_ARTIFACTS_S3_ACCESS_KEY_ID: 'a' }, '/', '/'),
    ).toThrow(ConfigurationError);
    expect(() =>
      artifactStoreOf({ SLUICE_ARTIFACTS: location, SLUICE_ARTIFACTS_S3_ACCESS_KEY_ID: 'a' }, '/', '/'),
    ).toThrow(
      'SLUICE_ARTIFACTS_S3_SECRET_ACCESS_KEY: required when SLUICE_ARTIFACTS names a bucket (s3://sluice-artifacts/team/)',
    );
  });

  it('is swept of artifacts past the retention, the clock injected relative to the objects written', async () => {
    const s3 = store('sweep/');
    await s3.put('runs/old/run_results.json', '{}', 'application/json');
    await s3.put('plans/p1/plan.txt', 'x', 'text/plain');
    const writtenAt = Math.max(...(await s3.list('')).map((a) => a.lastModified));
    const sweep = (now: number, retentionMs: number) =>
      createSchedulerActivities({
        db: state.db,
        now: () => now,
        artifacts: s3,
        artifactRetentionMs: retentionMs,
      }).sweepArtifacts();
    expect(await sweep(writtenAt + 29 * DAY, 30 * DAY)).toMatchObject({ removed: [], kept: 2 });
    expect(await sweep(writtenAt + 31 * DAY, 30 * DAY)).toMatchObject({
      removed: ['runs/old', 'plans/p1'],
      kept: 0,
    });
    expect(await s3.list('')).toEqual([]);
  });
});
