/**
 * State databases for the API tests: a fresh database on the test PostgreSQL server or an in-memory
 * PGlite, migrated, and emptied between tests (API tokens included).
 */
import { sql } from 'drizzle-orm';
import { createStateDb, type StateConnection, type StateDb, type StateDriver } from '../../../db/client.ts';
import { migrate } from '../../../db/migrate.ts';
import { createScratchDatabase, type ScratchDatabase } from '../../integration/state/harness.ts';

export interface TestState extends StateConnection {
  /** the PostgreSQL URL, when the driver is postgres. */
  url: string | null;
  reset(): Promise<void>;
  dispose(): Promise<void>;
}

export async function openTestState(driver: StateDriver, tag: string): Promise<TestState> {
  const scratch: ScratchDatabase | undefined =
    driver === 'postgres' ? await createScratchDatabase(tag) : undefined;
  const connection = createStateDb({ url: scratch ? scratch.url : 'memory://' });
  await migrate(connection.db);
  return {
    ...connection,
    url: scratch?.url ?? null,
    reset: () => resetAll(connection.db),
    async dispose() {
      await connection.close();
      await scratch?.drop();
    },
  };
}

export async function resetAll(db: StateDb): Promise<void> {
  await db.execute(
    sql.raw(
      'truncate sluice.api_tokens, sluice.audit_log, sluice.pauses, sluice.model_executions, sluice.runs, ' +
        'sluice.intervals, sluice.environment_snapshots, sluice.environments, sluice.snapshots, sluice.plans, ' +
        'sluice.janitor_drops ' +
        'restart identity',
    ),
  );
}

/** Row counts of every table: what "nothing was written" is checked against. */
export async function tableCounts(db: StateDb): Promise<Record<string, number>> {
  const tables = [
    'api_tokens',
    'audit_log',
    'pauses',
    'model_executions',
    'runs',
    'intervals',
    'environment_snapshots',
    'environments',
    'snapshots',
    'plans',
    'janitor_drops',
    'notification_webhooks',
    'notification_deliveries',
    'notification_attempts',
  ];
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const result = (await db.execute(sql.raw(`select count(*)::int as n from sluice.${table}`))) as unknown;
    const rows = Array.isArray(result) ? result : (result as { rows: Array<{ n: number }> }).rows;
    counts[table] = Number((rows[0] as { n: number }).n);
  }
  return counts;
}
