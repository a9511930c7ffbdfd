/**
 * "One plan at a time per environment, in submission order", observed on the real stack (stack.ts)
 * against a PostgreSQL warehouse. Four plans to prod, each changing the same model so each has
 * backfill work, are submitted in quick succession from the same starting environment. A plan
 * computed against an environment that another plan has changed since is refused when its turn
 * comes, so the plans are chosen to show both: the first two fail in their backfill (and so leave
 * prod as it was), the third applies, the fourth is refused as stale. The state database's records
 * (each plan's start and finish, each execution's start and finish on the executor) and Temporal's
 * (each apply workflow's start and close) show that no two applications overlap and that they ran
 * in the order the plans were submitted.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProject } from '../../../core/project/load.ts';
import type { Project } from '../../../core/project/types.ts';
import { planWorkflowId } from '../../../core/workflow-ids.ts';
import { createStateDb, type StateConnection } from '../../../db/client.ts';
import { migrate } from '../../../db/migrate.ts';
import type { Engine } from '../../../engines/engine.ts';
import type { EnginePool } from '../../../engines/pool.ts';
import { environmentSnapshotMap } from '../../../state/environments.ts';
import type { ExecutionRecord } from '../../../state/executions.ts';
import { TEST_DATABASE_URL } from '../../support/postgres.ts';
import { postgresConfig } from '../../support/project-config.ts';
import { createScratchDatabase, type ScratchDatabase } from '../state/harness.ts';
import { type AppliedPlan, type PlanStack, startPlanStack } from './stack.ts';
import { enginesFor, readRelation } from './support.ts';

const NOW = Date.parse('2024-01-06T12:00:00Z');

/**
 * Version `version` of the events model: one row per day, each batch sleeping `sleep` seconds on the
 * warehouse; with `failOn`, the batch of that day fails (its row does not cast).
 */
function events(version: number, sleep: number, failOn?: string): string {
  const value = failOn
    ? `CAST(CASE WHEN @start_ds = '${failOn}' THEN 'boom' ELSE '${version}' END AS INTEGER)`
    : `${version}`;
  return `MODEL (
  name q.events,
  kind INCREMENTAL_BY_TIME_RANGE (time_column ds, batch_size 1)
);

SELECT CAST(@start_ds AS DATE) AS ds, ${value} AS version, (SELECT 1 FROM pg_sleep(${sleep})) AS slept
`;
}

const SUMMARY = `MODEL (
  name q.summary,
  kind FULL
);

SELECT count(*) AS days, max(version) AS version FROM q.events
`;

describe('plans to one environment on the real stack', { timeout: 180_000 }, () => {
  let scratch: ScratchDatabase;
  let state: StateConnection;
  let warehouse: ScratchDatabase;
  let dir: string;
  let engines: EnginePool;
  let engine: Engine;
  let stack: PlanStack;

  const load = (): Project => {
    const password = new URL(TEST_DATABASE_URL).password;
    const env = password ? { SQLMESH__GATEWAYS__WH__CONNECTION__PASSWORD: decodeURIComponent(password) } : {};
    return loadProject(dir, { now: NOW, env });
  };
  const write = (file: string, text: string) => writeFileSync(join(dir, file), text);

  beforeAll(async () => {
    scratch = await createScratchDatabase('plan_queue');
    state = createStateDb({ url: scratch.url });
    await migrate(state.db);
    warehouse = await createScratchDatabase('plan_queue_wh');
    dir = mkdtempSync(join(tmpdir(), 'sluice-plan-queue-'));
    mkdirSync(join(dir, 'models'));
    write('config.yaml', postgresConfig('wh', warehouse.name));
    write('models/events.sql', events(0, 0));
    write('models/summary.sql', SUMMARY);
    engines = enginesFor(load());
    engine = engines.get('wh');
    stack = await startPlanStack({ db: state.db, project: load() });
  });

  afterAll(async () => {
    await stack?.stop();
    await engines?.closeAll();
    await state?.close();
    await scratch?.drop();
    await warehouse?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('applies plans submitted together one at a time, in the order they were submitted', async () => {
    const start = await stack.planAndApply({ project: load(), environment: 'prod', now: NOW });
    expect((await readRelation(engine, 'q', 'summary')).rows).toEqual([['5', '0']]);

    // Four changes of the events model, each computed against prod as the first plan left it.
    const versions: Array<{ sleep: number; failOn?: string }> = [
      { sleep: 0.5, failOn: '2024-01-04' },
      { sleep: 0.2, failOn: '2024-01-04' },
      { sleep: 0.2 },
      { sleep: 0.2 },
    ];
    const submitted = [];
    for (const [index, version] of versions.entries()) {
      write('models/events.sql', events(index + 1, version.sleep, version.failOn));
      submitted.push(await stack.submit({ project: load(), environment: 'prod', now: NOW }));
    }
    expect(submitted.map((s) => s.position)).toEqual([1, 2, 3, 4]);
    for (const s of submitted) {
      expect(s.diff.previousSnapshotMap).toEqual(start.diff.snapshotMap);
      expect(s.diff.backfill.map((entry) => entry.model)).toEqual(['q.events', 'q.summary']);
    }
    const ended: AppliedPlan[] = [];
    for (const s of submitted) ended.push(await stack.settle(s.planId));
    const [first, second, third, fourth] = ended as [AppliedPlan, AppliedPlan, AppliedPlan, AppliedPlan];

    // what became of each
    expect(ended.map((e) => e.plan.status)).toEqual(['failed', 'failed', 'applied', 'failed']);
    for (const failed of [first, second]) {
      expect(failed.plan.error).toMatch(
        /q\.events failed: q\.events \[2024-01-04 00:00, 2024-01-05 00:00\): SQL_ERROR: .*boom/,
      );
      expect(failed.plan.error).toContain('q.summary skipped: upstream q.events failed');
      // the batch after the failed one, prepared in the same segment, never runs (what is skipped
      // ends at the same moment, in either order)
      const byStatus = (e: { model: string; status: string }) => `${e.model} ${e.status}`;
      expect(failed.executions.map(byStatus).sort()).toEqual([
        'q.events failed',
        'q.events skipped',
        'q.events succeeded',
        'q.events succeeded',
        'q.events succeeded',
        'q.summary skipped',
      ]);
    }
    expect(third.executions.map((e) => [e.model, e.status])).toEqual([
      ...Array(5).fill(['q.events', 'succeeded']),
      ['q.summary', 'succeeded'],
    ]);
    expect(fourth.plan.error).toMatch(
      /^environment "prod" changed since plan ".*" was computed \(q\.events, q\.summary\): compute the plan again$/,
    );
    expect(fourth.plan.startedAt).toBeNull();
    expect(fourth.executions).toEqual([]);

    // no two applications overlap, and they ran in submission order: the state database's records
    const ms = (instant: string | null) => (instant === null ? Number.NaN : Date.parse(instant));
    const submittedAt = ended.map((e) => ms(e.plan.submittedAt));
    expect([...submittedAt].sort((a, b) => a - b)).toEqual(submittedAt);
    for (const [index, later] of ended.entries()) {
      if (index === 0) continue;
      const earlier = ended[index - 1]!;
      expect(ms(earlier.plan.finishedAt)).toBeLessThanOrEqual(
        ms(later.plan.startedAt ?? later.plan.finishedAt),
      );
    }
    // ... each execution ran on the executor inside its own plan's application, after every execution
    // of the plans before it
    const ran = (e: ExecutionRecord) => e.startedAt !== null;
    for (const applied of [first, second, third]) {
      expect(applied.executions.filter(ran).length).toBeGreaterThanOrEqual(3);
      for (const execution of applied.executions) {
        if (ran(execution))
          expect(ms(execution.startedAt)).toBeGreaterThanOrEqual(ms(applied.plan.startedAt));
        expect(ms(execution.finishedAt)).toBeLessThanOrEqual(ms(applied.plan.finishedAt));
      }
    }
    const windows = [first, second, third].map((applied) => {
      const executed = applied.executions.filter(ran);
      return {
        start: Math.min(...executed.map((e) => ms(e.startedAt))),
        end: Math.max(...applied.executions.map((e) => ms(e.finishedAt))),
      };
    });
    expect(windows[0]!.end).toBeLessThanOrEqual(windows[1]!.start);
    expect(windows[1]!.end).toBeLessThanOrEqual(windows[2]!.start);

    // ... and Temporal's: each apply workflow started after the one before it closed
    const workflows = [];
    for (const e of ended)
      workflows.push(await stack.temporal.client.workflow.getHandle(planWorkflowId(e.planId)).describe());
    for (const [index, later] of workflows.entries()) {
      if (index === 0) continue;
      const earlier = workflows[index - 1]!;
      expect(earlier.closeTime).toBeDefined();
      expect(later.startTime.getTime()).toBeGreaterThanOrEqual(earlier.closeTime!.getTime());
    }

    // prod is what the applied plan made it
    expect(await environmentSnapshotMap(state.db, 'prod')).toEqual(third.diff.snapshotMap);
    expect((await readRelation(engine, 'q', 'summary')).rows).toEqual([['5', '3']]);
  });
});
