/**
 * The executor activities (`ExecutorActivities` in activities/contracts.ts): what a run or apply
 * executor does on the warehouse side. Each activity takes SQL text and metadata, runs it on the
 * engine of the gateway it names, and returns counts, timings and messages, never rows and never
 * credentials. A gateway the executor does not configure itself may come with the work as a sealed
 * scheduler-managed connection, opened with SLUICE_ENCRYPTION_KEY (managed-connections.ts); the
 * executor's own gateways always win.
 *
 * Every activity heartbeats while it works (so a dead executor is noticed within the heartbeat
 * timeout) and passes Temporal's cancellation signal to the engine (so cancelling a run stops its
 * statement on the warehouse and rolls the transaction back). Errors leave as ApplicationFailures
 * typed by their stable code (see failure.ts).
 */

import { Context } from '@temporalio/activity';
import type { Keyring } from '../../crypto/keyring.ts';
import type { Engine } from '../../engines/engine.ts';
import type { EnginePool } from '../../engines/pool.ts';
import { dropEnvironment, dropPhysicalTables, dropViews, promoteViews } from '../../engines/views.ts';
import type {
  ConnectionTestResult,
  ExecutorActivities,
  QueryResult,
  SegmentReport,
  SegmentWork,
} from '../contracts.ts';
import { TASK_QUEUES } from '../contracts.ts';
import { createPhysicalTables } from '../execution/create-physical-tables.ts';
import { executeBatch } from '../execution/execute-batch.ts';
import { ActivityLeases } from './engine-leases.ts';
import { toActivityFailure } from './failure.ts';
import { fetchQuery } from './fetch-query.ts';
import { GatewayNotConfiguredError } from './gateway-not-configured-error.ts';
import { type HeartbeatPulse, withHeartbeat } from './heartbeat.ts';
import { readExecutionRequest, readNames, readQueryBounds, readText, readViewEntries } from './inputs.ts';
import { InvalidRequestError } from './invalid-request-error.ts';
import { ManagedConnections, readSealedConnection } from './managed-connections.ts';
import { MemoryGuard, type MemoryReader } from './memory-guard.ts';
import { SealedConnectionError } from './sealed-connection-error.ts';
import { executeSegmentActivity } from './segment-activity.ts';
import { testSealedConnection } from './test-connection.ts';

export type ExecutorRole = 'run' | 'apply';

export interface ExecutorActivitiesOptions {
  /** the engines of the gateways this executor serves. */
  pool: EnginePool;
  /** how this executor names itself in reports, heartbeats and errors. */
  identity: string;
  role: ExecutorRole;
  /** heartbeat period while a statement runs; by default a third of the heartbeat timeout, at most 5s. */
  heartbeatIntervalMs?: number;
  /** SLUICE_MAX_MEMORY_MB: executions stop with MEMORY_LIMIT when the process passes it. */
  maxMemoryMb?: number;
  /** how the memory guard reads the process's RSS in bytes (tests); process.memoryUsage.rss by default. */
  readRss?: MemoryReader;
  /** called as each activity starts, e.g. to pick up a changed env file before the first statement. */
  refreshGateways?: () => void;
  /** SLUICE_ENCRYPTION_KEY: opens the scheduler-managed connections that come with the work. */
  encryption?: Keyring;
  /** the engines of managed connections (pass one to close them at shutdown); made from `encryption` when absent. */
  managedConnections?: ManagedConnections;
}

export function createExecutorActivities(options: ExecutorActivitiesOptions): ExecutorActivities {
  const { pool, identity, role } = options;
  const leases = new ActivityLeases(pool);
  const memory = new MemoryGuard({
    identity,
    ...(options.maxMemoryMb === undefined ? {} : { maxMemoryMb: options.maxMemoryMb }),
    ...(options.readRss === undefined ? {} : { readRss: options.readRss }),
  });

  const managed =
    options.managedConnections ??
    new ManagedConnections({
      keyring: options.encryption,
      identity,
      baseDir: process.cwd(),
      ...(options.maxMemoryMb === undefined ? {} : { maxMemoryMb: options.maxMemoryMb }),
    });

  /** The executor's own gateway wins; else the scheduler-managed connection that came with the work. */
  const engineFor = (gateway: string, connection?: unknown): Engine => {
    if (pool.has(gateway)) return leases.acquire(gateway);
    const sealed = readSealedConnection(connection, 'connection');
    if (sealed === undefined) {
      throw new GatewayNotConfiguredError(gateway, identity, pool.gateways, TASK_QUEUES[role]);
    }
    try {
      return managed.engine(gateway, sealed);
    } catch (error) {
      if (!(error instanceof SealedConnectionError)) throw error;
      throw new GatewayNotConfiguredError(gateway, identity, pool.gateways, TASK_QUEUES[role], error.problem);
    }
  };

  /** Runs one activity body with heartbeats, the cancellation signal and the error mapping. */
  async function activity<T>(
    first: Record<string, unknown>,
    body: (signal: AbortSignal, pulse: HeartbeatPulse) => Promise<T>,
  ): Promise<T> {
    const context = Context.current();
    const signal = context.cancellationSignal;
    const startedAt = Date.now();
    options.refreshGateways?.();
    const work = typeof first.model === 'string' ? first.model : `${first.phase} on gateway ${first.gateway}`;
    try {
      return await withHeartbeat(
        context,
        { executor: identity, ...first },
        options.heartbeatIntervalMs,
        (pulse) => leases.hold(() => memory.run(work, signal, (guarded) => body(guarded, pulse))),
      );
    } catch (error) {
      throw toActivityFailure(error, signal, {
        attempt: context.info.attempt,
        executor: identity,
        startedAt,
      });
    }
  }

  return {
    /**
     * Opens the gateway's engine once for the whole segment (under one set of leases, so a reload
     * mid-segment does not switch engines between batches) and runs each batch under the memory
     * guard on its own: passing the limit fails the batches running then, as non-retryable batch
     * failures, and the rest of the segment goes on.
     */
    executeSegment(work: SegmentWork): Promise<SegmentReport> {
      options.refreshGateways?.();
      let engine: Engine | undefined;
      return leases.hold(() =>
        executeSegmentActivity(work, {
          identity,
          ...(options.heartbeatIntervalMs === undefined
            ? {}
            : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
          open: (checked) => {
            engine = engineFor(checked.gateway, checked.connection);
          },
          // each batch under the memory guard: passing the limit fails the batches running, not the segment
          runBatch: (batch, signal, beat) =>
            memory.run(batch.model, signal, async (guarded) => {
              const startedAt = Date.now();
              const result = await executeBatch(engine!, batch.request, {
                signal: guarded,
                heartbeat: beat,
              });
              return {
                executor: identity,
                attempt: Context.current().info.attempt,
                startedAt,
                finishedAt: Date.now(),
                rowsAffected: result.rowsAffected,
                statements: result.statements,
                notices: result.notices,
                audits: result.audits,
              };
            }),
        }),
      );
    },

    createPhysicalTables(args): Promise<void> {
      const count = Array.isArray(args?.requests) ? args.requests.length : 0;
      return activity({ gateway: args?.gateway, phase: 'create tables', tables: count }, async (signal) => {
        const gateway = readText(args?.gateway, 'gateway');
        if (!Array.isArray(args.requests)) throw new InvalidRequestError('requests: expected a list');
        const requests = args.requests.map((request, index) =>
          readExecutionRequest(request, `requests[${index}]`),
        );
        await createPhysicalTables(engineFor(gateway, args.connection), requests, { signal });
      });
    },

    promoteViews(args): Promise<void> {
      return activity(
        { gateway: args?.gateway, environment: args?.environment, phase: 'promote views' },
        async () => {
          const gateway = readText(args?.gateway, 'gateway');
          const environment = readText(args.environment, 'environment');
          const entries = readViewEntries(args.entries, 'entries');
          await promoteViews(engineFor(gateway, args.connection), environment, entries);
        },
      );
    },

    dropViews(args): Promise<void> {
      return activity(
        { gateway: args?.gateway, environment: args?.environment, phase: 'drop views' },
        async () => {
          const gateway = readText(args?.gateway, 'gateway');
          const environment = readText(args.environment, 'environment');
          const models = readNames(args.models, 'models');
          await dropViews(engineFor(gateway, args.connection), environment, models);
        },
      );
    },

    dropEnvironment(args) {
      return activity(
        { gateway: args?.gateway, environment: args?.environment, phase: 'drop environment' },
        async () => {
          const gateway = readText(args?.gateway, 'gateway');
          const environment = readText(args.environment, 'environment');
          const models = readNames(args.models, 'models');
          return dropEnvironment(engineFor(gateway, args.connection), environment, models);
        },
      );
    },

    dropTables(args) {
      const count = Array.isArray(args?.tables) ? args.tables.length : 0;
      return activity({ gateway: args?.gateway, phase: 'drop tables', tables: count }, async () => {
        const gateway = readText(args?.gateway, 'gateway');
        const tables = readNames(args.tables, 'tables');
        await dropPhysicalTables(engineFor(gateway, args.connection), tables);
        return { executor: identity };
      });
    },

    testConnection(args): Promise<ConnectionTestResult> {
      return activity({ gateway: args?.gateway, phase: 'test connection' }, async () => {
        const gateway = readText(args?.gateway, 'gateway');
        const sealed = readSealedConnection(args.connection, 'connection');
        if (sealed === undefined) throw new InvalidRequestError('connection: missing');
        return { executor: identity, ...(await testSealedConnection(managed, gateway, sealed)) };
      });
    },

    fetchQuery(args): Promise<QueryResult> {
      return activity({ gateway: args?.gateway, phase: 'query' }, async (signal) => {
        const gateway = readText(args?.gateway, 'gateway');
        const query = readQueryBounds(args);
        return {
          executor: identity,
          ...(await fetchQuery(engineFor(gateway, args.connection), query, signal)),
        };
      });
    },
  };
}
