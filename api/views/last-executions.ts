/** The latest model execution of each model of an environment, in one query. */

import type { z } from '@hono/zod-openapi';
import { desc, eq } from 'drizzle-orm';
import type { StateDb } from '../../db/client.ts';
import { modelExecutions } from '../../db/schema.ts';
import type { LastExecutionSchema } from '../schemas/environments.ts';

export type LastExecution = z.infer<typeof LastExecutionSchema>;

export async function lastExecutions(db: StateDb, environment: string): Promise<Map<string, LastExecution>> {
  const rows = await db
    .selectDistinctOn([modelExecutions.model], {
      model: modelExecutions.model,
      executionId: modelExecutions.id,
      runId: modelExecutions.runId,
      status: modelExecutions.status,
      queuedAt: modelExecutions.queuedAt,
      finishedAt: modelExecutions.finishedAt,
      durationMs: modelExecutions.durationMs,
      error: modelExecutions.error,
    })
    .from(modelExecutions)
    .where(eq(modelExecutions.environment, environment))
    .orderBy(modelExecutions.model, desc(modelExecutions.queuedAt), desc(modelExecutions.id));
  return new Map(
    rows.map((row) => [
      row.model,
      {
        executionId: row.executionId,
        runId: row.runId,
        status: row.status,
        queuedAt: row.queuedAt.toISOString(),
        finishedAt: row.finishedAt?.toISOString() ?? null,
        durationMs: row.durationMs,
        error: row.error,
      },
    ]),
  );
}
