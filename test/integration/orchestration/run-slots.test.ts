/**
 * Run slots on the real stack (Temporal dev server, scheduler worker, PostgreSQL state database and
 * warehouse, run executors as `sluice worker --role run` processes), with SLUICE_RUN_SLOTS=1 over two
 * environments: runs of both never overlap (their recorded [ready, finished] intervals), each run
 * that waited records its wait and why; a run whose executor is killed with SIGKILL still ends and
 * gives its slot back; a restart of the scheduler worker, and one of the Temporal server (a dev
 * server keeping its state in a file, as `sluice dev` runs it), keep the slot count right.
 */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { type EnvironmentOptions, restate, submitPlan } from '../../../api/environment-commands.ts';
import { RUN_SLOTS_WORKFLOW_ID } from '../../../core/run-slots.ts';
import { queryRows } from '../../../db/query-rows.ts';
import { runSlotsQuery } from '../../../workflows/signals.ts';
import { waitFor } from '../../support/waiting.ts';
import { floorMinute, MINUTE, modelFile, useOrchestrationStack, waitForPlanApplied } from './stack.ts';

const HOUR = 60 * MINUTE;
const ENVIRONMENTS = ['prod', 'dev'] as const;
const SLOTS: EnvironmentOptions = { runSlots: 1, runPriority: { prod: 10 } };

type RunRow = {
  id: string;
  environment: string;
  status: string;
  scheduled_at: Date;
  ready_at: Date | null;
  first_statement_at: Date | null;
  finished_at: Date | null;
  queued_reason: string | null;
};

describe('run slots over two environments on the real stack', () => {
  // Two hours back: the restatements below have a finished hour to restate whatever the time.
  const hourStart = new Date(Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR).toISOString();
  const stack = useOrchestrationStack(() => ({
    tag: 'slots',
    start: floorMinute(Date.now()) - 5 * MINUTE,
    models: {
      'slow.sql': modelFile(
        [
          'name slots.slow',
          'kind INCREMENTAL_BY_TIME_RANGE (time_column hour, batch_size 1)',
          "cron '@hourly'",
          `start '${hourStart}'`,
        ],
        'SELECT CAST(@start_ts AS TIMESTAMP) AS hour, (SELECT 1 FROM pg_sleep(3)) AS slept',
      ),
    },
    runExecutor: 'run-1@test',
    persistentTemporal: true,
  }));

  const lastHour = () => Math.floor(Date.now() / HOUR) * HOUR;
  const restateSlow = (environment: string) =>
    restate(stack().client, environment, {
      models: ['slots.slow'],
      start: lastHour() - HOUR,
      end: lastHour(),
      requestedBy: 'ci',
    });

  async function runs(ids?: string[]): Promise<RunRow[]> {
    const rows = await queryRows<RunRow>(
      stack().db,
      sql`select id, environment, status, scheduled_at, ready_at, first_statement_at, finished_at, queued_reason
          from sluice.runs where trigger <> 'plan' and id not like '%-skipped' order by ready_at nulls last`,
    );
    return ids ? rows.filter((r) => ids.includes(r.id)) : rows;
  }

  function waitForRunsToEnd(ids: string[], timeoutMs = 180_000): Promise<RunRow[]> {
    return waitFor(
      `runs ${ids.join(', ')} to end`,
      async () => {
        const rows = await runs(ids);
        return rows.length === ids.length && rows.every((r) => r.finished_at !== null) ? rows : undefined;
      },
      timeoutMs,
    );
  }

  /** No two runs held a slot at once: their [ready, finished] intervals do not overlap. */
  async function expectNoOverlap(): Promise<void> {
    const held = (await runs())
      .filter((r) => r.ready_at !== null && r.finished_at !== null)
      .map((r) => ({
        id: r.id,
        from: new Date(r.ready_at!).getTime(),
        to: new Date(r.finished_at!).getTime(),
      }))
      .sort((a, b) => a.from - b.from);
    for (let i = 1; i < held.length; i++) {
      expect(held[i]!.from, `${held[i]!.id} began before ${held[i - 1]!.id} ended`).toBeGreaterThanOrEqual(
        held[i - 1]!.to,
      );
    }
  }

  async function keeper() {
    return stack().client.workflow.getHandle(RUN_SLOTS_WORKFLOW_ID).query(runSlotsQuery);
  }

  it('runs one run at a time across both environments, each waiting run with its wait and reason', async () => {
    for (const environment of ENVIRONMENTS) {
      const submitted = await submitPlan({
        db: stack().db,
        client: stack().client,
        project: stack().project(),
        environment,
        submittedBy: 'ci',
        options: SLOTS,
      });
      await waitForPlanApplied(stack().db, submitted.planId);
    }
    const ids: string[] = [];
    for (const environment of [...ENVIRONMENTS, ...ENVIRONMENTS]) ids.push(await restateSlow(environment));
    const queued = await waitFor(
      'a run queued for the slot',
      async () => (await runs(ids)).find((r) => r.status === 'queued' && r.queued_reason !== null),
      60_000,
    );
    expect(queued.queued_reason).toMatch(
      /^waiting for a run slot: 1 of 1 in use by sluice-run-\S+$|^waiting for run sluice-run-\S+ of the same models$/,
    );
    const ended = await waitForRunsToEnd(ids);
    expect(ended.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    await expectNoOverlap();
    // Every run that waited says why and how long; the three that came after the first all waited.
    const waited = ended.filter(
      (r) => new Date(r.ready_at!).getTime() - new Date(r.scheduled_at).getTime() >= 2_000,
    );
    expect(waited.length).toBeGreaterThanOrEqual(3);
    for (const run of waited) expect(run.queued_reason, run.id).toMatch(/^waiting for /);
    expect(ended.some((r) => /^waiting for a run slot: 1 of 1 in use by /.test(r.queued_reason ?? ''))).toBe(
      true,
    );
    // Prep ends at the first statement; prod and dev share the model's snapshot, so a run may find its
    // interval already restated by the other environment's run and send no statement at all.
    const prepared = ended.filter((r) => r.first_statement_at !== null);
    expect(prepared.length).toBeGreaterThanOrEqual(2);
    for (const run of prepared) {
      expect(new Date(run.first_statement_at!).getTime()).toBeGreaterThanOrEqual(
        new Date(run.ready_at!).getTime(),
      );
    }
    expect(await keeper()).toMatchObject({ limit: 1, holders: [], waiters: [] });
  }, 400_000);

  it('a run whose executor is killed with SIGKILL ends on another executor and gives its slot back', async () => {
    const { wh } = stack();
    const first = await restateSlow('prod');
    await waitFor(
      'the slow statement to run',
      async () => {
        const [r] =
          await wh`select count(*)::int as n from pg_stat_activity where query like '%pg_sleep(3)%' and state = 'active' and pid <> pg_backend_pid()`;
        return r!.n > 0 ? true : undefined;
      },
      60_000,
    );
    const second = await restateSlow('dev');
    await stack().runExecutors.at(-1)!.stop('SIGKILL');
    await waitFor(
      'the dev run to wait for the slot',
      async () => ((await runs([second]))[0]?.status === 'queued' ? true : undefined),
      30_000,
    );
    await stack().startRunExecutor('run-2@test');
    const ended = await waitForRunsToEnd([first, second]);
    expect(ended.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    await expectNoOverlap();
    expect(await keeper()).toMatchObject({ holders: [], waiters: [] });
  }, 400_000);

  /** One run holds the slot and one waits when `restart` happens; both end, one after the other. */
  async function restartWhileQueued(restart: () => Promise<void>): Promise<void> {
    const first = await restateSlow('dev');
    const second = await restateSlow('prod');
    await waitFor(
      'one run holding the slot and one waiting',
      async () => {
        const slots = await keeper();
        return slots.holders.length === 1 && slots.waiters.length === 1 ? true : undefined;
      },
      60_000,
    );
    await restart();
    const ended = await waitForRunsToEnd([first, second], 300_000);
    expect(ended.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    await expectNoOverlap();
    expect(await keeper()).toMatchObject({ limit: 1, holders: [], waiters: [] });
  }

  it('a restart of the scheduler worker keeps the slot count right', async () => {
    await restartWhileQueued(() => stack().restartSchedulerWorker());
  }, 400_000);

  it('a restart of the Temporal server keeps the slot count right', async () => {
    await restartWhileQueued(() => stack().restartTemporal());
  }, 400_000);
});
