/** The shape of the outcomes a run reports to `completeSegment`, checked before anything is written. */
import { z } from 'zod';
import { epochMs, interval, text } from './input.ts';

export const REPORT = z.object({
  executor: text,
  attempt: z.number().int().positive().optional(),
  startedAt: epochMs,
  finishedAt: epochMs,
  rowsAffected: z.number().int().nonnegative().nullable(),
  statements: z.array(
    z.object({
      label: z.string().optional(),
      durationMs: z.number().nonnegative(),
      rowsAffected: z.number().int().nullable(),
    }),
  ),
  notices: z.array(z.string()),
  audits: z.array(
    z.object({ name: text, blocking: z.boolean(), failingRows: z.number().int().nonnegative() }),
  ),
});

export const COMPLETION = z
  .object({
    executionId: text,
    runId: text,
    environment: text,
    model: text,
    snapshotId: text,
    interval: interval.nullable(),
    status: z.enum(['succeeded', 'failed', 'skipped', 'cancelled']),
    report: REPORT.optional(),
    error: z.string().optional(),
    reason: z.string().optional(),
    attempt: z.number().int().nonnegative(),
    failedOn: z.object({ executor: text, startedAt: epochMs }).optional(),
  })
  .refine((completion) => completion.status !== 'succeeded' || completion.report !== undefined, {
    message: "must carry the executor's report when the batch succeeded",
    path: ['report'],
  });

export const COMPLETIONS = z.array(COMPLETION).superRefine((completions, context) => {
  const seen = new Map<string, number>();
  completions.forEach((completion, index) => {
    const first = seen.get(completion.executionId);
    if (first !== undefined) {
      context.addIssue({
        code: 'custom',
        message: `names execution "${completion.executionId}" again (first at input[${first}])`,
        path: [index, 'executionId'],
      });
    }
    seen.set(completion.executionId, index);
  });
});

export type Completion = z.infer<typeof COMPLETION>;
export type Report = z.infer<typeof REPORT>;
