/**
 * `completeSegment`: records the outcomes of a segment's batches, in one transaction.
 *
 * Each outcome carries the executor's report when there is one: the start (and so the wait since
 * queued), the finish, rows, statement timings, notices and audits; a success records its interval
 * complete. The workflow calls it only after the executor activity returned, that is after each
 * succeeded batch's transaction committed. A retried complete changes nothing more, and an outcome
 * already final is never overwritten (a batch claimed again by another run, say). The outcomes are
 * all checked before anything is written: a malformed or unknown one leaves every execution as it was.
 */
import { formatInterval } from '../../core/intervals.ts';
import type { ExecutionLog } from '../../db/schema.ts';
import {
  type ExecutionRecord,
  finishedExecution,
  lockExecutions,
  startedExecution,
  writeExecutions,
} from '../../state/executions.ts';
import { recordIntervalRanges } from '../../state/intervals.ts';
import type { BatchCompletion } from '../contracts.ts';
import { COMPLETIONS, type Completion, type Report } from './completion-input.ts';
import type { SchedulerContext } from './context.ts';
import { FAILURE_TYPES, rejectCheckFailures, rejected } from './failures.ts';
import { parseInput } from './input.ts';

const ACTIVITY = 'completeSegment';

const FINAL = new Set(['succeeded', 'skipped', 'cancelled']);

export async function completeSegment(ctx: SchedulerContext, completions: BatchCompletion[]): Promise<void> {
  const input = parseInput(ACTIVITY, COMPLETIONS, completions);
  if (input.length === 0) return;
  await rejectCheckFailures(ACTIVITY, FAILURE_TYPES.invalidInput, () =>
    ctx.db.transaction(async (tx) => {
      const executions = await lockExecutions(
        tx,
        input.map((completion) => completion.executionId),
      );
      const matched = input.map((completion) => {
        const execution = executions.get(completion.executionId);
        if (!execution) {
          throw rejected(
            ACTIVITY,
            FAILURE_TYPES.unknownExecution,
            `unknown execution "${completion.executionId}"`,
          );
        }
        checkSameBatch(execution, completion);
        return { execution, completion };
      });
      const changed = matched
        .map(({ execution, completion }) => outcomeOf(ctx, execution, completion))
        .filter((record) => record !== null);
      await recordIntervalRanges(
        tx,
        input
          .filter((completion) => completion.status === 'succeeded' && completion.interval)
          .map((completion) => ({
            snapshotId: completion.snapshotId,
            range: [completion.interval![0], completion.interval![1]],
            runId: completion.runId,
            executionId: completion.executionId,
          })),
      );
      await writeExecutions(tx, changed);
    }),
  );
}

/** The execution as the completion leaves it, or null when it changes nothing. */
function outcomeOf(
  ctx: SchedulerContext,
  execution: ExecutionRecord,
  completion: Completion,
): ExecutionRecord | null {
  // Recorded already (a retry), or ended another way (claimed again by another run): nothing to change.
  if (execution.status === completion.status || FINAL.has(execution.status)) return null;
  const { report } = completion;
  let current = execution;
  if (report && execution.status !== 'running') {
    current = startedExecution(current, {
      attempt: Math.max(report.attempt ?? 1, execution.attempt + 1),
      executor: report.executor,
      at: report.startedAt,
    });
  } else if (
    completion.failedOn &&
    completion.attempt > execution.attempt &&
    execution.status !== 'running'
  ) {
    // A failed attempt that said where and when it ran: its start is recorded like a success's.
    current = startedExecution(current, {
      attempt: completion.attempt,
      executor: completion.failedOn.executor,
      at: completion.failedOn.startedAt,
    });
  }
  const { status } = completion;
  return finishedExecution(current, {
    status,
    at: report?.finishedAt ?? ctx.now(),
    rowsAffected: report?.rowsAffected ?? null,
    error: status === 'succeeded' || status === 'skipped' ? null : (completion.error ?? status),
    ...(status === 'skipped' ? { skipReason: completion.reason ?? completion.error ?? 'skipped' } : {}),
    log: report ? reportLog(execution.log, report) : null,
    ...(report ? {} : { attempt: completion.attempt }),
  });
}

function checkSameBatch(execution: ExecutionRecord, completion: Completion): void {
  const recorded = execution.interval ? formatInterval(execution.interval) : 'none';
  const reported = completion.interval ? formatInterval(completion.interval) : 'none';
  const clashes = [
    execution.runId !== completion.runId && `run ${execution.runId}`,
    execution.environment !== completion.environment && `environment ${execution.environment}`,
    execution.model !== completion.model && `model ${execution.model}`,
    execution.snapshotId !== completion.snapshotId && `snapshot ${execution.snapshotId}`,
    recorded !== reported && `interval ${recorded}`,
  ].filter((clash): clash is string => typeof clash === 'string');
  if (clashes.length > 0) {
    throw rejected(
      ACTIVITY,
      FAILURE_TYPES.invalidInput,
      `execution "${execution.id}" was prepared for ${clashes.join(', ')}`,
    );
  }
}

/** The prepared log with the executor's timings, notices and audits. */
function reportLog(prepared: ExecutionLog | null, report: Report): ExecutionLog {
  const planned = prepared?.plannedStatements ?? [];
  return {
    ...(prepared?.renderedSql ? { renderedSql: prepared.renderedSql } : {}),
    statements: report.statements.map((statement, index) => ({
      sql: planned[index] ?? statement.label ?? '',
      durationMs: Math.round(statement.durationMs),
      rowsAffected: statement.rowsAffected,
    })),
    notices: report.notices,
    audits: report.audits,
  };
}
