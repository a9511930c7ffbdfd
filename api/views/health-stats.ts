/** Figures for the health report: execution success rates and how many runs wait or run now. */
import { and, desc, gte, inArray, isNotNull, sql } from 'drizzle-orm';
import type { StateDb } from '../../db/client.ts';
import { modelExecutions, runs } from '../../db/schema.ts';

export interface SuccessRate {
  finished: number;
  succeeded: number;
  failed: number;
  successRate: number | null;
}

const FINISHED = ['succeeded', 'failed', 'skipped', 'cancelled'] as const;
const DAY_MS = 86_400_000;

export async function executionSuccess(db: StateDb, now: number) {
  const counts = {
    finished: sql<number>`count(*)::int`,
    succeeded: sql<number>`(count(*) filter (where ${modelExecutions.status} = 'succeeded'))::int`,
    failed: sql<number>`(count(*) filter (where ${modelExecutions.status} = 'failed'))::int`,
  };
  const day = await db
    .select(counts)
    .from(modelExecutions)
    .where(
      and(
        inArray(modelExecutions.status, [...FINISHED]),
        gte(modelExecutions.finishedAt, new Date(now - DAY_MS)),
      ),
    );
  const latest = db
    .select({ status: modelExecutions.status })
    .from(modelExecutions)
    .where(and(inArray(modelExecutions.status, [...FINISHED]), isNotNull(modelExecutions.finishedAt)))
    .orderBy(desc(modelExecutions.finishedAt), desc(modelExecutions.id))
    .limit(100)
    .as('latest');
  const hundred = await db
    .select({
      finished: sql<number>`count(*)::int`,
      succeeded: sql<number>`(count(*) filter (where ${latest.status} = 'succeeded'))::int`,
      failed: sql<number>`(count(*) filter (where ${latest.status} = 'failed'))::int`,
    })
    .from(latest);
  return { last24h: rate(day[0]), last100: rate(hundred[0]) };
}

export async function runCounts(db: StateDb): Promise<{ queued: number; running: number }> {
  const rows = await db
    .select({ status: runs.status, n: sql<number>`count(*)::int` })
    .from(runs)
    .where(inArray(runs.status, ['queued', 'running']))
    .groupBy(runs.status);
  const of = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
  return { queued: of('queued'), running: of('running') };
}

function rate(row: { finished: number; succeeded: number; failed: number } | undefined): SuccessRate {
  const finished = Number(row?.finished ?? 0);
  const succeeded = Number(row?.succeeded ?? 0);
  const failed = Number(row?.failed ?? 0);
  return {
    finished,
    succeeded,
    failed,
    successRate: succeeded + failed === 0 ? null : succeeded / (succeeded + failed),
  };
}
