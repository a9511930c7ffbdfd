/**
 * `prepareSegment`: the scheduler's side of a segment of batches an executor runs in one activity.
 *
 * It renders the segment's batches in order (against the environment's snapshot map, or the plan's
 * new map for a plan's backfill) until the next one would carry the answer past `maxBytes`, claims
 * their snapshot intervals (claim.ts) and records them queued, with the rendered query and the
 * statements each will run, all in one transaction. An execution's id is derived from the run, the
 * model and the interval, so a retried prepare finds the executions the first one recorded. When the
 * gateway has a scheduler-managed connection, the segment carries it sealed
 * (managed-connections.ts).
 *
 * A batch whose interval a run still going holds ends the segment before it, to be prepared in a
 * later one; when it is the first batch, the failure is the retryable SNAPSHOT_BUSY. A batch that
 * cannot be rendered ends the segment too; as the first batch it fails it with RENDER_FAILED, as
 * does a first batch whose statements alone are too large for an executor's payload.
 */
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { formatInterval } from '../../core/intervals.ts';
import { STORE_ABOVE_BYTES } from '../../crypto/stored-payload-codec.ts';
import type { ExecutionLog } from '../../db/schema.ts';
import type { PreparedBatch, PreparedSegment, SegmentRef } from '../contracts.ts';
import { type ClaimRequest, claimSegment, type Holder } from './claim.ts';
import { closedRuns } from './closed-runs.ts';
import type { SchedulerContext } from './context.ts';
import { executionIdOf } from './execution-id.ts';
import { FAILURE_TYPES, invalidInput, rejectCheckFailures, rejected } from './failures.ts';
import { epochMs, interval, parseInput, text } from './input.ts';
import { managedConnectionOf } from './managed-connections.ts';
import type { RenderedBatch } from './render-batch.ts';
import { type SegmentItem, type SegmentRenderer, segmentRenderer } from './segment-renderer.ts';

const ACTIVITY = 'prepareSegment';

const SEGMENT_REF = z.object({
  runId: text,
  environment: text,
  scheduledAt: epochMs,
  planId: text.optional(),
  gateway: text,
  items: z
    .array(z.object({ model: text, snapshotId: text, interval: interval.nullable() }))
    .min(1, 'must name at least one batch'),
  maxBytes: z.number().int('must be a whole number of bytes').positive('must be a positive number of bytes'),
});

/** Rounds of claiming before a snapshot whose holders keep changing is reported busy. */
const CLAIM_ROUNDS = 3;

/** What `"alreadyComplete":true,` adds to a batch's JSON, counted before the claim tells. */
const ALREADY_COMPLETE_BYTES = Buffer.byteLength('"alreadyComplete":true,');

export async function prepareSegment(ctx: SchedulerContext, ref: SegmentRef): Promise<PreparedSegment> {
  const input = parseInput(ACTIVITY, SEGMENT_REF, ref);
  const renderer = await segmentRenderer(ctx, input);
  const batches = renderPrefix(input, renderer.render);
  const connection = await managedConnectionOf(ctx.db, input.gateway);

  const queuedAt = ctx.now();
  const requests = batches.map(
    ({ batch, log, item }): ClaimRequest => ({
      executionId: batch.executionId,
      model: item.model,
      snapshotId: item.snapshotId,
      interval: item.interval,
      log,
    }),
  );
  const complete: boolean[] = [];
  const abandoned = new Set<string>();
  for (let round = 1; complete.length < requests.length; round++) {
    const outcome = await rejectCheckFailures(ACTIVITY, FAILURE_TYPES.invalidInput, () =>
      claimSegment(
        ctx.db,
        {
          runId: input.runId,
          queuedAt,
          plannedAt: renderer.plannedAt,
          requests: requests.slice(complete.length),
        },
        abandoned,
      ),
    );
    complete.push(...outcome.alreadyComplete);
    if (!outcome.holders) break;
    const closed = new Set(await closedRuns(ctx.temporal, [...new Set(outcome.holders.map((h) => h.runId))]));
    const running = outcome.holders.find((holder) => !closed.has(holder.runId));
    if (running || round === CLAIM_ROUNDS) {
      if (complete.length > 0) break;
      throw snapshotBusy(batches[0]!.item, running ?? outcome.holders[0]!);
    }
    for (const holder of outcome.holders) abandoned.add(holder.executionId);
  }
  return {
    gateway: input.gateway,
    batches: complete.map((done, index) => ({
      ...batches[index]!.batch,
      ...(done ? { alreadyComplete: true } : {}),
    })),
    ...(connection === undefined ? {} : { connection }),
  };
}

interface Rendered {
  item: SegmentItem;
  batch: PreparedBatch;
  log: ExecutionLog;
}

/**
 * The most one batch may take: a larger payload would be kept in the state database
 * (crypto/stored-payload-codec.ts), which executors cannot read. Room is left for the segment's
 * dependencies and sealed connection.
 */
const LONE_BATCH_MAX_BYTES = STORE_ABOVE_BYTES - 16 * 1024;

function kib(bytes: number): string {
  return `${Math.ceil(bytes / 1024)} KB`;
}

/**
 * The batches of the longest prefix of the items whose JSON (as a list) fits `maxBytes`, at least
 * one. An item that cannot be rendered ends the prefix, or fails the segment when it is the first.
 */
function renderPrefix(input: z.infer<typeof SEGMENT_REF>, render: SegmentRenderer['render']): Rendered[] {
  const prefix: Rendered[] = [];
  let bytes = 2;
  for (const [index, item] of input.items.entries()) {
    let rendered: RenderedBatch;
    try {
      rendered = render(item);
    } catch (error) {
      if (index > 0 && error instanceof ApplicationFailure && error.type === FAILURE_TYPES.renderFailed)
        break;
      throw error;
    }
    if (rendered.gateway !== input.gateway) {
      throw invalidInput(
        ACTIVITY,
        `input.items[${index}] (${item.model}) runs on gateway "${rendered.gateway}", not on the segment's gateway "${input.gateway}"`,
      );
    }
    const batch: PreparedBatch = {
      executionId: executionIdOf(input.runId, item.model, item.interval),
      gateway: rendered.gateway,
      model: item.model,
      interval: item.interval,
      request: rendered.request,
    };
    bytes += Buffer.byteLength(JSON.stringify(batch)) + ALREADY_COMPLETE_BYTES + (index > 0 ? 1 : 0);
    if (index > 0 && bytes > input.maxBytes) break;
    if (index === 0 && bytes > LONE_BATCH_MAX_BYTES) {
      throw rejected(
        ACTIVITY,
        FAILURE_TYPES.renderFailed,
        `${item.model}: its batch's rendered statements take ${kib(bytes)}, more than the ${kib(LONE_BATCH_MAX_BYTES)} an executor's payload may carry`,
      );
    }
    prefix.push({
      item,
      batch,
      log: {
        ...(rendered.renderedSql ? { renderedSql: rendered.renderedSql } : {}),
        plannedStatements: rendered.request.statements.map((statement) => statement.sql),
      },
    });
  }
  return prefix;
}

function snapshotBusy(item: SegmentItem, holder: Holder): ApplicationFailure {
  const what = item.interval ? formatInterval(item.interval) : '(whole table)';
  return ApplicationFailure.retryable(
    `${ACTIVITY}: snapshot ${item.snapshotId} ${what} is being executed by run ${holder.runId} ` +
      `(environment ${holder.environment}, execution ${holder.executionId}, ${holder.status}); ` +
      'it is claimed again once that run is done',
    FAILURE_TYPES.snapshotBusy,
    { runId: holder.runId, environment: holder.environment, executionId: holder.executionId },
  );
}
