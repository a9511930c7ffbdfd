/**
 * The health report: reachability of Temporal and the state DB, recent success rates, run counts;
 * and the bare liveness answer (status and time) that a caller without a token gets when tokens are on.
 */
import { z } from '@hono/zod-openapi';
import { Timestamp } from './common.ts';

const Dependency = z.object({
  reachable: z.boolean(),
  latencyMs: z.number().nullable(),
  error: z.string().nullable(),
});

const SuccessRate = z.object({
  finished: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  successRate: z
    .number()
    .nullable()
    .openapi({ description: 'succeeded / (succeeded + failed); null with none' }),
});

export const HealthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    time: Timestamp,
    auth: z.enum(['tokens', 'off']),
    temporal: Dependency,
    database: Dependency,
    executions: z
      .object({ last24h: SuccessRate, last100: SuccessRate })
      .nullable()
      .openapi({ description: 'null when the state database is unreachable' }),
    runs: z.object({ queued: z.number().int(), running: z.number().int() }).nullable(),
  })
  .openapi('Health');

export type Health = z.infer<typeof HealthSchema>;

export const LivenessSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    time: Timestamp,
  })
  .openapi('Liveness', {
    description: 'the answer without a token when authentication is on: no detail',
  });

export type Liveness = z.infer<typeof LivenessSchema>;

/** What `GET /api/health` answers: the full report to a token holder (or with authentication off). */
export const HealthAnswerSchema = z.union([HealthSchema, LivenessSchema]);
