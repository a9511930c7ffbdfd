/**
 * A plan and a run too large for one history, on the real stack: 1,300 cheap FULL models in chains
 * of ten on a PostgreSQL warehouse. The plan's application and the run each pass their history's
 * budget (workflows/history-budget.ts) and continue as new, carrying where they stood: every model
 * is built once by the plan and run once by the run, a model that fails skips its downstream and
 * the run, once its last history ends, reports `failed` naming it; no history nor any of its events
 * comes near Temporal's limits (payloads past 240 KB are kept in the state database).
 */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { pauseEnvironment, triggerRun } from '../../../api/environment-commands.ts';
import { planWorkflowId } from '../../../core/workflow-ids.ts';
import { queryRows } from '../../../db/query-rows.ts';
import { historiesOf, measureHistory } from '../../support/history-size.ts';
import { waitFor } from '../../support/waiting.ts';
import { applyPlan, MINUTE, modelFile, useOrchestrationStack, waitForRunEnded } from './stack.ts';

const DAY = 24 * 60 * MINUTE;
const CHAINS = 130;
const CHAIN_LENGTH = 10;
const MODELS = CHAINS * CHAIN_LENGTH;
/** reads raw.gate too, which the test drops before the run: it fails there, its chain after it skips. */
const FAILING = 'big.m000_2';

const name = (chain: number, link: number) => `big.m${String(chain).padStart(3, '0')}_${link}`;

function models(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let chain = 0; chain < CHAINS; chain++) {
    for (let link = 0; link < CHAIN_LENGTH; link++) {
      const model = name(chain, link);
      let query =
        link === 0
          ? `SELECT ${chain} AS chain, 1 AS link`
          : `SELECT chain, link + 1 AS link FROM ${name(chain, link - 1)}`;
      if (model === FAILING) query += ' WHERE EXISTS (SELECT 1 FROM raw.gate)';
      files[`${model.slice(4)}.sql`] = modelFile([`name ${model}`, 'kind FULL', "cron '@daily'"], query);
    }
  }
  return files;
}

const stack = useOrchestrationStack(() => ({
  tag: 'long_history',
  start: Math.floor(Date.now() / DAY) * DAY - 3 * DAY,
  models: models(),
  runExecutor: 'run-1@test',
}));

describe('a plan and a run longer than one history', () => {
  it(
    'continue as new where they stood: every model once, a failure skipping its downstream, every history bounded',
    async () => {
      const { db, client, wh } = stack();
      /** the histories of the workflow `id`, once it has continued as new at least once. */
      const continued = (id: string) =>
        waitFor(
          `${id} to continue as new`,
          async () => {
            const runs = await historiesOf(client, id);
            return runs.length >= 2 ? runs : undefined;
          },
          MINUTE,
        );
      await wh`create schema if not exists raw`;
      await wh`create table raw.gate (one int)`;
      await wh`insert into raw.gate values (1)`;
      const project = stack().project();
      expect(project.models).toHaveLength(MODELS);

      // the plan: every model built once, over several histories
      const submitted = await applyPlan(stack(), { now: Date.now() - DAY, timeoutMs: 6 * MINUTE });
      const applyId = planWorkflowId(submitted.planId);
      const built = await queryRows<{ n: number; models: number }>(
        db,
        sql`select count(*)::int as n, count(distinct model)::int as models from sluice.model_executions
          where run_id = ${applyId} and status = 'succeeded'`,
      );
      expect(built).toEqual([{ n: MODELS, models: MODELS }]);
      const applyHistories = await continued(applyId);

      // the run: one model fails, the rest of its chain is skipped, the others run once
      await pauseEnvironment(client, 'prod', 'the test triggers its own run', 'ci');
      await wh`drop table raw.gate`;
      const runId = await triggerRun(client, 'prod', {
        models: project.models.map((m) => m.name),
        requestedBy: 'ci',
      });
      const run = await waitForRunEnded(db, runId, 6 * MINUTE);
      expect(run.status).toBe('failed');
      const outcomes = await queryRows<{ status: string; n: number; models: number }>(
        db,
        sql`select status, count(*)::int as n, count(distinct model)::int as models
          from sluice.model_executions where run_id = ${runId} group by status order by status`,
      );
      const downstream = CHAIN_LENGTH - 3;
      expect(outcomes).toEqual([
        { status: 'failed', n: 1, models: 1 },
        { status: 'skipped', n: downstream, models: downstream },
        { status: 'succeeded', n: MODELS - 1 - downstream, models: MODELS - 1 - downstream },
      ]);
      const [failed] = await queryRows<{ model: string; error: string }>(
        db,
        sql`select model, error from sluice.model_executions where run_id = ${runId} and status = 'failed'`,
      );
      expect(failed!.model).toBe(FAILING);
      expect(failed!.error).toContain('gate');
      const result = await client.workflow.getHandle(runId).result();
      expect(result.status).toBe('failed');
      for (let link = 3; link < CHAIN_LENGTH; link++) {
        expect(result.models[name(0, link)]).toMatchObject({ status: 'skipped' });
      }
      const [last] = await wh`select chain, link from ${wh(name(CHAINS - 1, CHAIN_LENGTH - 1))}`;
      expect(last).toEqual({ chain: CHAINS - 1, link: CHAIN_LENGTH });
      const runHistories = await continued(runId);

      // every history of both: bounded in events and bytes, no event near the 256 KB payload warning
      for (const [id, runs] of [
        [applyId, applyHistories],
        [runId, runHistories],
      ] as const) {
        for (const historyRunId of runs) {
          const measured = await measureHistory(client, id, historyRunId);
          expect(measured.events, `${id} ${historyRunId}`).toBeLessThan(10_240);
          expect(measured.bytes, `${id} ${historyRunId}`).toBeLessThan(10 * 1024 * 1024);
          expect(measured.largestEvent, `${id} ${historyRunId}`).toBeLessThan(256 * 1024);
        }
      }
    },
    14 * MINUTE,
  );
});
