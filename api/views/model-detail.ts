/**
 * One model as an environment holds it: its definition from the snapshot, the snapshot every other
 * environment holds, its parents and children there, the SQL of its latest logged execution, its
 * interval coverage since its start, and its latest executions.
 */
import { intervalCoverage } from '../../core/interval-coverage.ts';
import type { Interval } from '../../core/intervals.ts';
import type { Model } from '../../core/project/types.ts';
import type { StateDb } from '../../db/client.ts';
import { environmentSnapshotMap, modelsReading, snapshotsOfModel } from '../../state/environments.ts';
import { type ExecutionRecord, lastLoggedExecution, listExecutions } from '../../state/executions.ts';
import { mergedCompletedIntervals } from '../../state/intervals.ts';
import { getSnapshots, parseSnapshotId } from '../../state/snapshots.ts';
import { notFound } from '../errors.ts';
import { MAX_COVERAGE_RANGES, MODEL_EXECUTIONS_SHOWN, type ModelDetail } from '../schemas/models.ts';
import { isScheduled, nextRun } from './environment-detail.ts';
import { requireEnvironment } from './environment-models.ts';
import { executionView } from './execution-view.ts';
import { hasIntervals, intervalArgs } from './missing-intervals.ts';
import { overScheduledOf } from './over-scheduled.ts';

const iso = (ms: number) => new Date(ms).toISOString();

export async function modelDetail(
  db: StateDb,
  environment: string,
  name: string,
  now: number,
): Promise<ModelDetail> {
  await requireEnvironment(db, environment);
  const snapshotId = (await environmentSnapshotMap(db, environment))[name];
  if (snapshotId === undefined) {
    throw notFound(`environment "${environment}" has no model "${name}"`, { environment, model: name });
  }
  const [snapshot] = await getSnapshots(db, [snapshotId]);
  if (!snapshot)
    throw new Error(`environment "${environment}" maps ${name} to unknown snapshot "${snapshotId}"`);
  const model = snapshot.definition;
  const self = { name, snapshotId, definition: model };
  const [placements, children, logged, executions, coverage, over] = await Promise.all([
    snapshotsOfModel(db, name),
    modelsReading(db, environment, snapshotId),
    lastLoggedExecution(db, environment, name),
    listExecutions(db, { environment, model: name, limit: MODEL_EXECUTIONS_SHOWN }),
    hasIntervals(model) ? coverageOf(db, snapshot.id, model, now) : null,
    isScheduled(self) ? overScheduledOf(db, environment, [self], now) : new Map(),
  ]);
  const { query, seed: _seed, location, ...header } = model;
  return {
    environment,
    name,
    snapshotId,
    fingerprint: snapshot.fingerprint,
    kind: model.kind.name,
    cron: model.cron,
    cronTz: model.cronTz,
    intervalUnit: model.intervalUnit,
    start: iso(model.start.ms),
    end: model.end ? iso(model.end.ms) : null,
    owner: model.owner ?? null,
    description: model.description ?? null,
    enabled: model.enabled,
    gateway: snapshot.gateway,
    scheduled: isScheduled(self),
    nextRun: nextRun(self, now),
    overScheduled: over.get(name) ?? null,
    definition: { header, query, file: location.file, line: location.line },
    environments: placements.map((p) => ({
      environment: p.environment,
      snapshotId: p.snapshotId,
      fingerprint: parseSnapshotId(p.snapshotId).fingerprint,
      same: p.snapshotId === snapshotId,
    })),
    parents: snapshot.parents.map((id) => parseSnapshotId(id).name).sort(),
    children,
    lastBatch: logged ? lastBatch(logged) : null,
    coverage,
    executions: { items: executions.items.map(executionView), nextCursor: executions.nextCursor },
  };
}

function lastBatch(execution: ExecutionRecord): NonNullable<ModelDetail['lastBatch']> {
  const log = execution.log ?? {};
  const statements = log.statements
    ? log.statements.map((s) => ({ sql: s.sql, durationMs: s.durationMs }))
    : (log.plannedStatements ?? []).map((sql) => ({ sql, durationMs: null }));
  return {
    executionId: execution.id,
    runId: execution.runId,
    status: execution.status,
    interval: execution.interval
      ? { start: iso(execution.interval[0]), end: iso(execution.interval[1]) }
      : null,
    renderedSql: log.renderedSql ?? null,
    statements,
  };
}

async function coverageOf(
  db: StateDb,
  snapshotId: string,
  model: Model,
  now: number,
): Promise<ModelDetail['coverage']> {
  const [completed, active, failed] = await Promise.all([
    mergedCompletedIntervals(db, [snapshotId]),
    listExecutions(db, { snapshotId, status: ['queued', 'running'], limit: 500 }),
    listExecutions(db, { snapshotId, status: 'failed', limit: 500 }),
  ]);
  const intervals = (records: ExecutionRecord[]) =>
    records.flatMap((r): Interval[] => (r.interval ? [r.interval] : []));
  const coverage = intervalCoverage({
    ...intervalArgs(model, now),
    completed: completed[snapshotId] ?? [],
    running: intervals(active.items),
    failed: intervals(failed.items),
    maxRanges: MAX_COVERAGE_RANGES,
  });
  return {
    start: iso(coverage.start),
    end: iso(coverage.end),
    ranges: coverage.ranges.map((r) => ({ start: iso(r.start), end: iso(r.end), status: r.status })),
    omitted: coverage.omitted,
    missingIntervals: coverage.missingIntervals,
  };
}
