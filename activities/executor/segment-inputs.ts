/**
 * Reads an executeSegment input and the progress a previous attempt heartbeated. Both cross a
 * process boundary as JSON: the segment is checked before any SQL runs (a malformed one fails with
 * INVALID_REQUEST naming the field, see inputs.ts), and a heartbeat that does not have the shape of
 * a SegmentProgress is ignored, so the attempt simply runs the segment from its start.
 */

import { z } from 'zod';
import type { ExecutionRequest } from '../../core/execution/request.ts';
import type { BatchResult, SegmentProgress, SegmentWork } from '../contracts.ts';
import { readExecutionRequest } from './inputs.ts';
import { InvalidRequestError } from './invalid-request-error.ts';

/** A segment batch whose request has been checked: what an executor's runBatch receives. */
export type CheckedBatch = Omit<SegmentWork['batches'][number], 'request'> & { request: ExecutionRequest };

const text = z.string().min(1);
const time = z.number().finite();

const batchSchema = z.object({
  executionId: text,
  gateway: text,
  model: text,
  interval: z.tuple([time, time]).nullable(),
  request: z.unknown(),
  alreadyComplete: z.boolean().optional(),
  dependsOn: z.array(text),
});

const segmentSchema = z.object({
  segmentId: text,
  gateway: text,
  connection: z.unknown().optional(),
  threads: z.number().int().positive(),
  batches: z.array(batchSchema).min(1),
});

const reportSchema = z.object({
  executor: z.string(),
  attempt: z.number(),
  startedAt: z.number(),
  finishedAt: z.number(),
  rowsAffected: z.number().nullable(),
  statements: z.array(
    z.object({ label: z.string().optional(), durationMs: z.number(), rowsAffected: z.number().nullable() }),
  ),
  notices: z.array(z.string()),
  audits: z.array(z.object({ name: z.string(), blocking: z.boolean(), failingRows: z.number() })),
});

const resultSchema = z.discriminatedUnion('status', [
  z.object({ executionId: text, model: text, status: z.literal('succeeded'), report: reportSchema }),
  z.object({
    executionId: text,
    model: text,
    status: z.literal('failed'),
    type: z.string(),
    message: z.string(),
    attempt: z.number(),
    executor: z.string(),
    startedAt: z.number(),
  }),
]);

const progressSchema = z.object({
  executor: z.string(),
  results: z.array(resultSchema),
  running: z.array(z.string()),
});

/**
 * The segment in `value`, each batch's request checked (readExecutionRequest) and for the batch's
 * model, each batch on the segment's gateway and each execution id once.
 */
export function readSegmentWork(value: unknown): SegmentWork {
  const parsed = segmentSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.reduce<string>(
      (path, key) => (typeof key === 'number' ? `${path}[${key}]` : `${path}.${String(key)}`),
      'segment',
    );
    throw new InvalidRequestError(`${field}: ${issue.message}`);
  }
  const work = parsed.data;
  const ids = new Set<string>();
  const batches = work.batches.map((batch, index) => {
    const where = `segment.batches[${index}]`;
    if (ids.has(batch.executionId)) {
      throw new InvalidRequestError(
        `${where}.executionId: "${batch.executionId}" appears twice in the segment`,
      );
    }
    ids.add(batch.executionId);
    if (batch.gateway !== work.gateway) {
      throw new InvalidRequestError(
        `${where}.gateway: "${batch.gateway}" is not the segment's gateway "${work.gateway}"`,
      );
    }
    const { alreadyComplete, ...rest } = batch;
    if (alreadyComplete) return { ...rest, alreadyComplete };
    const request = readExecutionRequest(batch.request, `${where}.request`);
    if (request.model !== batch.model) {
      throw new InvalidRequestError(
        `${where}.request.model: batch ${batch.executionId} is for model "${batch.model}" but its request is for "${request.model}"`,
      );
    }
    return { ...rest, request };
  });
  // the sealed connection is read where it is opened (managed-connections.ts)
  const { connection, ...rest } = work;
  return {
    ...rest,
    ...(connection === undefined ? {} : { connection: connection as SegmentWork['connection'] }),
    batches,
  };
}

/** The results a previous attempt heartbeated, or none when its detail is not a SegmentProgress. */
export function readResumedResults(detail: unknown): BatchResult[] {
  const parsed = progressSchema.safeParse(detail);
  return parsed.success ? (parsed.data.results as BatchResult[]) : [];
}

/** The progress sent in heartbeats and failure details. */
export type SegmentHeartbeat = SegmentProgress & {
  /** the latest statement or audit progress of each running batch. */
  current?: Record<string, unknown>;
};
