/**
 * `run_results.json` of a run or a plan's backfill, from what the state database recorded: one
 * result per model, in the shape of dbt's run_results.json (`metadata`, `results[]` with
 * `unique_id`, `status`, `timing`, `thread_id`, `execution_time`, `adapter_response`, `message`,
 * `failures`; `elapsed_time` and `args`), so tools that read dbt's artifacts read these, with
 * sluice's own fields beside dbt's: the model's batches, rows, executor, attempts and error, and
 * where each batch's SQL is (`compiled_path`).
 */
import type { Interval } from '../intervals.ts';
import { compiledPath } from './paths.ts';

/** The version of the shape below; raised when a field changes meaning or goes. */
export const RUN_RESULTS_SCHEMA_VERSION = 'https://sluice.dev/schemas/run-results/v1.json';

/** A model execution (one batch) as the state database records it. */
export interface BatchRecord {
  id: string;
  runId: string;
  model: string;
  snapshotId: string;
  interval: Interval | null;
  status: string;
  attempt: number;
  executor: string | null;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  rowsAffected: number | null;
  error: string | null;
  skipReason: string | null;
  log: {
    renderedSql?: string;
    plannedStatements?: string[];
    statements?: Array<{ sql: string }>;
    audits?: Array<{ name: string; blocking: boolean; failingRows: number }>;
  } | null;
}

/** What the results are of: a run, or a plan's application. */
export interface InvocationRecord {
  /** the run's id, or the plan's. */
  id: string;
  environment: string;
  trigger: string;
  status: string;
  scheduledAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  models: string[];
  planId: string | null;
  triggeredBy: string | null;
  error: string | null;
}

export interface RunResultsInput {
  invocation: InvocationRecord;
  batches: readonly BatchRecord[];
  /** epoch ms. */
  generatedAt: number;
  sluiceVersion: string;
}

export interface RunResultBatch {
  execution_id: string;
  run_id: string;
  interval: { start: string; end: string } | null;
  status: string;
  attempt: number;
  executor: string | null;
  started_at: string | null;
  completed_at: string | null;
  execution_time: number | null;
  rows_affected: number | null;
  error: string | null;
  skip_reason: string | null;
  /** the batch's SQL in the artifacts; null for a batch that never ran. */
  compiled_path: string | null;
}

export interface RunResult {
  unique_id: string;
  /** dbt's words: `success`, `error`, `skipped`; `cancelled` for a model a cancelled run left. */
  status: string;
  timing: Array<{ name: 'execute'; started_at: string | null; completed_at: string | null }>;
  thread_id: string | null;
  execution_time: number;
  adapter_response: { _message: string; rows_affected: number };
  message: string | null;
  /** rows the model's audits found; null when it has none. */
  failures: number | null;
  model: string;
  snapshot_id: string;
  sluice_status: string;
  batches: number;
  rows_affected: number;
  executors: string[];
  attempts: number;
  error: string | null;
  batch_results: RunResultBatch[];
}

export interface RunResults {
  metadata: {
    sluice_schema_version: string;
    sluice_version: string;
    generated_at: string;
    invocation_id: string;
    env: Record<string, string>;
  };
  results: RunResult[];
  elapsed_time: number;
  args: {
    environment: string;
    trigger: string;
    status: string;
    scheduled_at: string | null;
    started_at: string | null;
    finished_at: string | null;
    models: string[];
    plan_id: string | null;
    triggered_by: string | null;
    error: string | null;
  };
}

const DBT_STATUS: Record<string, string> = { succeeded: 'success', failed: 'error' };

/** A model's overall status from its batches': any failure fails it, then cancelled, skipped. */
function modelStatus(batches: readonly BatchRecord[]): string {
  for (const status of ['failed', 'cancelled', 'running', 'queued', 'skipped']) {
    if (batches.some((batch) => batch.status === status)) return status;
  }
  return 'succeeded';
}

const ms = (iso: string | null) => (iso === null ? null : Date.parse(iso));
const seconds = (millis: number) => Math.round(millis) / 1000;

function earliest(values: Array<string | null>): string | null {
  const present = values.filter((v): v is string => v !== null).sort();
  return present[0] ?? null;
}

function latest(values: Array<string | null>): string | null {
  const present = values.filter((v): v is string => v !== null).sort();
  return present.at(-1) ?? null;
}

/** Whether the batch ran SQL worth keeping: what `batchSql` writes to its compiled path. */
export function batchSql(batch: BatchRecord): string | null {
  const statements =
    batch.log?.statements?.map((s) => s.sql) ??
    batch.log?.plannedStatements ??
    (batch.log?.renderedSql ? [batch.log.renderedSql] : []);
  if (statements.length === 0) return null;
  const header = [
    `-- model: ${batch.model} (${batch.snapshotId})`,
    `-- interval: ${batch.interval === null ? 'none' : `${new Date(batch.interval[0]).toISOString()} - ${new Date(batch.interval[1]).toISOString()}`}`,
    `-- status: ${batch.status}, attempt ${batch.attempt}${batch.executor ? ` on ${batch.executor}` : ''}`,
  ];
  return `${header.join('\n')}\n\n${statements.map((sql) => `${sql.trimEnd()};`).join('\n\n')}\n`;
}

/**
 * The compiled path of each batch that has SQL, unique within the run: a second batch of the same
 * model and interval (a plan applied twice) gets `.2`, `.3`, … before `.sql`.
 */
export function compiledPaths(batches: readonly BatchRecord[]): Map<string, string> {
  const paths = new Map<string, string>();
  const taken = new Set<string>();
  for (const batch of batches) {
    if (batchSql(batch) === null) continue;
    const base = compiledPath(batch.model, batch.interval);
    let path = base;
    for (let n = 2; taken.has(path); n++) path = base.replace(/\.sql$/, `.${n}.sql`);
    taken.add(path);
    paths.set(batch.id, path);
  }
  return paths;
}

export function buildRunResults(input: RunResultsInput): RunResults {
  const { invocation, batches } = input;
  const paths = compiledPaths(batches);
  const byModel = new Map<string, BatchRecord[]>();
  for (const batch of batches) byModel.set(batch.model, [...(byModel.get(batch.model) ?? []), batch]);
  const results = [...byModel.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([model, own]) => modelResult(model, own, paths));
  const started = ms(invocation.startedAt);
  const finished = ms(invocation.finishedAt);
  return {
    metadata: {
      sluice_schema_version: RUN_RESULTS_SCHEMA_VERSION,
      sluice_version: input.sluiceVersion,
      generated_at: new Date(input.generatedAt).toISOString(),
      invocation_id: invocation.id,
      env: {},
    },
    results,
    elapsed_time: started !== null && finished !== null ? seconds(Math.max(0, finished - started)) : 0,
    args: {
      environment: invocation.environment,
      trigger: invocation.trigger,
      status: invocation.status,
      scheduled_at: invocation.scheduledAt,
      started_at: invocation.startedAt,
      finished_at: invocation.finishedAt,
      models: invocation.models,
      plan_id: invocation.planId,
      triggered_by: invocation.triggeredBy,
      error: invocation.error,
    },
  };
}

function modelResult(model: string, batches: BatchRecord[], paths: Map<string, string>): RunResult {
  const ordered = [...batches].sort((a, b) =>
    a.queuedAt < b.queuedAt ? -1 : a.queuedAt > b.queuedAt ? 1 : 0,
  );
  const status = modelStatus(ordered);
  const startedAt = earliest(ordered.map((b) => b.startedAt));
  const completedAt = latest(ordered.map((b) => b.finishedAt));
  const rows = ordered.reduce((sum, b) => sum + (b.rowsAffected ?? 0), 0);
  const ran = ordered.filter((b) => b.startedAt !== null);
  const errors = [...new Set(ordered.map((b) => b.error).filter((e): e is string => e !== null))];
  const reasons = [...new Set(ordered.map((b) => b.skipReason).filter((r): r is string => r !== null))];
  const audits = ordered.flatMap((b) => b.log?.audits ?? []);
  const error = errors.length > 0 ? errors.join('; ') : null;
  const start = ms(startedAt);
  const end = ms(completedAt);
  return {
    unique_id: `model.${model}`,
    status: DBT_STATUS[status] ?? status,
    timing: [{ name: 'execute', started_at: startedAt, completed_at: completedAt }],
    thread_id: ordered.findLast((b) => b.executor !== null)?.executor ?? null,
    execution_time: start !== null && end !== null ? seconds(Math.max(0, end - start)) : 0,
    adapter_response: {
      _message: `${rows} row${rows === 1 ? '' : 's'} in ${ran.length} of ${ordered.length} batch${ordered.length === 1 ? '' : 'es'}`,
      rows_affected: rows,
    },
    message: error ?? (reasons.length > 0 ? reasons.join('; ') : status === 'succeeded' ? 'OK' : null),
    failures: audits.length > 0 ? audits.reduce((sum, a) => sum + a.failingRows, 0) : null,
    model,
    snapshot_id: ordered.at(-1)!.snapshotId,
    sluice_status: status,
    batches: ordered.length,
    rows_affected: rows,
    executors: [...new Set(ordered.map((b) => b.executor).filter((e): e is string => e !== null))].sort(),
    attempts: Math.max(0, ...ordered.map((b) => b.attempt)),
    error,
    batch_results: ordered.map((b) => ({
      execution_id: b.id,
      run_id: b.runId,
      interval:
        b.interval === null
          ? null
          : { start: new Date(b.interval[0]).toISOString(), end: new Date(b.interval[1]).toISOString() },
      status: b.status,
      attempt: b.attempt,
      executor: b.executor,
      started_at: b.startedAt,
      completed_at: b.finishedAt,
      execution_time: b.durationMs === null ? null : seconds(b.durationMs),
      rows_affected: b.rowsAffected,
      error: b.error,
      skip_reason: b.skipReason,
      compiled_path: paths.get(b.id) ?? null,
    })),
  };
}
