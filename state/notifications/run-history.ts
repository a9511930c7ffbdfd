/**
 * What a run's notifications need from the history: the status of the environment's previous run.
 */
import { and, desc, eq, isNotNull, lte, ne } from 'drizzle-orm';
import type { StateDb } from '../../db/client.ts';
import { runs } from '../../db/schema.ts';

/**
 * The status of the run of `environment` that finished last before `runId` (plan backfills left
 * out); null when there is none.
 */
export async function previousRunStatus(
  db: StateDb,
  environment: string,
  runId: string,
): Promise<string | null> {
  const [current] = await db.select({ finishedAt: runs.finishedAt }).from(runs).where(eq(runs.id, runId));
  const rows = await db
    .select({ status: runs.status })
    .from(runs)
    .where(
      and(
        eq(runs.environment, environment),
        ne(runs.id, runId),
        ne(runs.trigger, 'plan'),
        isNotNull(runs.finishedAt),
        ...(current?.finishedAt ? [lte(runs.finishedAt, current.finishedAt)] : []),
      ),
    )
    .orderBy(desc(runs.finishedAt), desc(runs.id))
    .limit(1);
  return rows[0]?.status ?? null;
}
