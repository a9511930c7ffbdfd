/** Executors: who serves the run and apply task queues, and whether each is up, stopped or gone. */
import { z } from '@hono/zod-openapi';
import { Timestamp } from './common.ts';
import { EXECUTOR_ROLES, EXECUTOR_STATUSES } from './executor-choices.ts';

export { EXECUTOR_ROLES, EXECUTOR_STATUSES, type ExecutorStatus } from './executor-choices.ts';

const oneOf = (parameter: string, allowed: readonly string[]) =>
  z
    .string()
    .optional()
    .openapi({ description: `one of ${allowed.join(', ')}` })
    .superRefine((value, ctx) => {
      if (value !== undefined && !allowed.includes(value)) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown ${parameter} ${JSON.stringify(value)} (one of ${allowed.join(', ')})`,
        });
      }
    });

export const ExecutorListQuery = z.object({
  role: oneOf('role', EXECUTOR_ROLES),
  status: oneOf('status', EXECUTOR_STATUSES),
});

export const ExecutorSchema = z
  .object({
    identity: z.string().openapi({ example: 'run@warehouse-host:4242' }),
    role: z.enum(EXECUTOR_ROLES),
    taskQueue: z.string().openapi({ example: 'sluice-run' }),
    version: z.string().nullable().openapi({ description: 'the sluice version; null until it reports' }),
    gateways: z
      .array(z.string())
      .nullable()
      .openapi({ description: 'the gateways it serves, by name; null until it reports' }),
    startedAt: Timestamp.nullable(),
    lastSeen: Timestamp.openapi({
      description:
        'its last heartbeat or, for an executor that never reported, its last poll of the task queue',
    }),
    health: z
      .enum(['ok', 'degraded'])
      .nullable()
      .openapi({ description: 'degraded when its worker is not polling; null until it reports' }),
    inFlight: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'executor activities running at its last heartbeat' }),
    status: z.enum(EXECUTOR_STATUSES).openapi({
      description:
        'up; stopped after a clean shutdown (for the gone-after time); gone when not heard from for the gone-after time',
    }),
    stoppedAt: Timestamp.nullable().openapi({ description: 'when it said goodbye' }),
    polling: z
      .boolean()
      .openapi({ description: 'whether Temporal lists it among the pollers of its task queue' }),
  })
  .openapi('Executor');

export const ExecutorListSchema = z
  .object({
    items: z.array(ExecutorSchema),
    goneAfterSeconds: z.number().openapi({
      description:
        'how long an executor may go unheard before it is listed as gone (SLUICE_EXECUTOR_GONE_AFTER)',
    }),
  })
  .openapi('ExecutorList');

export type Executor = z.infer<typeof ExecutorSchema>;
export type ExecutorList = z.infer<typeof ExecutorListSchema>;
