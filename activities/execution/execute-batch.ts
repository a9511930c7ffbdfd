/**
 * Runs one prepared batch (core/execution) on a warehouse engine: every statement in one
 * transaction, then, once it has committed, the audits, as SQLMesh does. A blocking audit that
 * finds offending rows fails the batch with a non-retryable AuditFailedError (its data stays
 * committed: running the batch again is idempotent); a non-blocking one is reported as a warning.
 * Only counts, timings and messages come back, never data rows.
 */

import type { ExecutionRequest } from '../../core/execution/request.ts';
import { throwIfAborted } from '../../engines/cancellation.ts';
import type { Engine } from '../../engines/engine.ts';
import { SqlExecutionError } from '../../engines/errors.ts';
import { AuditFailedError } from './audit-failed-error.ts';

export interface StatementReport {
  label?: string;
  durationMs: number;
  rowsAffected: number | null;
}

export interface AuditReport {
  name: string;
  blocking: boolean;
  failingRows: number;
}

export interface ExecutionResult {
  /** rows the batch wrote; null when the engine reported no count (or the model is a view). */
  rowsAffected: number | null;
  statements: StatementReport[];
  /** server messages, and a warning for each non-blocking audit that found rows. */
  notices: string[];
  audits: AuditReport[];
  durationMs: number;
}

/** What an execution reports while it runs, e.g. as a Temporal heartbeat detail. */
export type ExecutionProgress =
  | { model: string; phase: 'statement'; statement: number; statements: number; durationMs: number }
  | { model: string; phase: 'audit'; audit: string; audits: number; index: number; failingRows: number };

export interface ExecuteOptions {
  signal?: AbortSignal;
  heartbeat?: (detail: ExecutionProgress) => void;
}

/** Messages from sluice's own `IF NOT EXISTS` guards, which say nothing about the batch. */
const GUARD_NOTICE = /already exists, skipping$/;

export async function executeBatch(
  engine: Engine,
  request: ExecutionRequest,
  options: ExecuteOptions = {},
): Promise<ExecutionResult> {
  const { signal, heartbeat } = options;
  const started = performance.now();
  const total = request.statements.length;
  const results = await engine.runInTransaction(request.statements, {
    ...(signal === undefined ? {} : { signal }),
    onStatement: (result, index) =>
      heartbeat?.({
        model: request.model,
        phase: 'statement',
        statement: index + 1,
        statements: total,
        durationMs: result.durationMs,
      }),
  });
  const notices = results.flatMap((r) => r.notices).filter((notice) => !GUARD_NOTICE.test(notice));
  const statements = results.map((r) => {
    const report: StatementReport = { durationMs: r.durationMs, rowsAffected: r.rowsAffected };
    if (r.label !== undefined) report.label = r.label;
    return report;
  });

  const audits: AuditReport[] = [];
  let blockingFailure: AuditFailedError | undefined;
  for (const [index, audit] of request.audits.entries()) {
    throwIfAborted(signal, engine.gateway);
    const failingRows = await countOffendingRows(engine, request.model, audit.name, audit.sql);
    audits.push({ name: audit.name, blocking: audit.blocking, failingRows });
    heartbeat?.({
      model: request.model,
      phase: 'audit',
      audit: audit.name,
      audits: request.audits.length,
      index: index + 1,
      failingRows,
    });
    if (failingRows === 0) continue;
    if (audit.blocking) {
      blockingFailure = new AuditFailedError(audit.name, request.model, failingRows, engine.gateway);
      break;
    }
    notices.push(
      `WARNING: non-blocking audit "${audit.name}" found ${failingRows} offending ${failingRows === 1 ? 'row' : 'rows'} in model "${request.model}"`,
    );
  }
  if (blockingFailure !== undefined) throw blockingFailure;

  return {
    rowsAffected: writtenRows(
      request,
      results.map((r) => r.rowsAffected),
    ),
    statements,
    notices,
    audits,
    durationMs: performance.now() - started,
  };
}

function writtenRows(request: ExecutionRequest, counts: ReadonlyArray<number | null>): number | null {
  let total: number | null = null;
  for (const index of request.writeStatements) {
    const count = counts[index];
    if (count === null || count === undefined) continue;
    total = (total ?? 0) + count;
  }
  return total;
}

async function countOffendingRows(
  engine: Engine,
  model: string,
  audit: string,
  sql: string,
): Promise<number> {
  let value: Awaited<ReturnType<Engine['queryScalar']>>;
  try {
    value = await engine.queryScalar(sql);
  } catch (error) {
    if (!(error instanceof SqlExecutionError)) throw error;
    throw new SqlExecutionError({
      gateway: error.gateway ?? engine.gateway,
      engineMessage: error.engineMessage,
      label: `${model} audit ${audit}`,
      statement: error.statement,
      statementIndex: 0,
      ...(error.sqlState === undefined ? {} : { sqlState: error.sqlState }),
      ...(error.detail === undefined ? {} : { detail: error.detail }),
      ...(error.hint === undefined ? {} : { hint: error.hint }),
    });
  }
  const count = Number(value);
  if (value === null || typeof value === 'boolean' || !Number.isFinite(count) || count < 0) {
    throw new Error(
      `audit "${audit}" of model "${model}" did not return a row count (got ${JSON.stringify(value)})`,
    );
  }
  return count;
}
