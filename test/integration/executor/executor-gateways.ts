import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import postgres from 'postgres';
import type {
  BatchResult,
  ExecutorReport,
  PreparedBatch,
  SegmentReport,
  SegmentWork,
} from '../../../activities/contracts.ts';
import type { GatewayConnection } from '../../../core/project/types.ts';
import { EnginePool } from '../../../engines/pool.ts';
import { TEST_DATABASE_URL } from '../../support/postgres.ts';

/** Accepted by the trust-auth test server, and must never show up in a report or an error. */
export const SECRET = 'sw0rdf1sh-not-to-be-seen';

export const GATEWAY_TYPES = ['duckdb', 'postgres'] as const;
export type GatewayType = (typeof GATEWAY_TYPES)[number];

/** Gateway name per warehouse type in the pool `openExecutorGateways` builds. */
export const GATEWAY_OF: Record<GatewayType, string> = { duckdb: 'local', postgres: 'warehouse' };

export interface ExecutorGateways {
  pool: EnginePool;
  /** the Postgres database the `warehouse` gateway writes to. */
  database: string;
  connections: Record<string, GatewayConnection>;
  close(): Promise<void>;
}

/** A pool with a DuckDB gateway `local` (own file) and a Postgres gateway `warehouse` (own database). */
export async function openExecutorGateways(label: string): Promise<ExecutorGateways> {
  const dir = mkdtempSync(join(tmpdir(), `sluice-${label}-`));
  const database = `sluice_${label}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE "${database}"`);
  const url = new URL(TEST_DATABASE_URL);
  const connections: Record<string, GatewayConnection> = {
    local: { type: 'duckdb', database: 'warehouse.duckdb' },
    warehouse: {
      type: 'postgres',
      host: url.hostname,
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username || 'postgres'),
      password: SECRET,
      database,
      sslmode: 'disable',
      application_name: database,
    },
  };
  const pool = new EnginePool(connections, { baseDir: dir });
  return {
    pool,
    database,
    connections,
    async close() {
      await pool.closeAll();
      await admin.unsafe(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await admin.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An activity environment that records every heartbeat it receives. */
export function activityEnvironment(heartbeatTimeoutMs?: number): {
  env: MockActivityEnvironment;
  heartbeats: unknown[];
} {
  // failures are what most tests expect: the worker's log of them would only be noise
  const env = new MockActivityEnvironment(heartbeatTimeoutMs === undefined ? {} : { heartbeatTimeoutMs }, {
    logger: new DefaultLogger('ERROR'),
  });
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (detail: unknown) => heartbeats.push(detail));
  return { env, heartbeats };
}

/** The error `promise` rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the activity to fail');
}

/** `batch` as a segment of its own, as the run sends a batch that has nothing to share a segment with. */
export function oneBatchSegment(batch: PreparedBatch, extra: Partial<SegmentWork> = {}): SegmentWork {
  return {
    segmentId: `segment-${batch.executionId}`,
    gateway: batch.gateway,
    threads: 1,
    batches: [{ ...batch, dependsOn: [] }],
    ...extra,
  };
}

/** The result of the one batch in `report`; fails the test when there is not exactly one. */
export function onlyResult(report: SegmentReport): BatchResult {
  if (report.results.length !== 1)
    throw new Error(`expected one result, got ${JSON.stringify(report.results)}`);
  return report.results[0]!;
}

/** The report of a batch that succeeded; fails the test with the batch's failure otherwise. */
export function succeeded(result: BatchResult): ExecutorReport {
  if (result.status !== 'succeeded')
    throw new Error(`batch ${result.executionId} failed: ${result.type}: ${result.message}`);
  return result.report;
}

/** The failed result of a batch; fails the test when it succeeded. */
export function failed(result: BatchResult): Extract<BatchResult, { status: 'failed' }> {
  if (result.status !== 'failed') throw new Error(`batch ${result.executionId} succeeded`);
  return result;
}
