/**
 * A run of 500 models on the real stack, with Temporal's default limits and sluice's search
 * attributes registered and set: a project of 100 chains of five cheap FULL models on a daily cron,
 * a plan applied up to yesterday, then one triggered run of all 500 for the day that is due. The run
 * starts, ends `succeeded` with 500 successful executions, names at most 20 models in its
 * `SluiceModels` search attribute, and leaves its environment running.
 */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { environmentState, pauseEnvironment, triggerRun } from '../../../api/environment-commands.ts';
import { environmentWorkflowId } from '../../../core/workflow-ids.ts';
import { queryRows } from '../../../db/query-rows.ts';
import {
  MAX_MODELS_ATTRIBUTE,
  SluiceEnvironment,
  SluiceModels,
  SluiceTrigger,
} from '../../../workflows/search-attributes.ts';
import { applyPlan, MINUTE, modelFile, useOrchestrationStack, waitForRunEnded } from './stack.ts';

const DAY = 24 * 60 * MINUTE;
const CHAINS = 100;
const CHAIN_LENGTH = 5;
const MODELS = CHAINS * CHAIN_LENGTH;

const name = (chain: number, link: number) => `big.m${String(chain).padStart(3, '0')}_${link}`;

function models(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let chain = 0; chain < CHAINS; chain++) {
    for (let link = 0; link < CHAIN_LENGTH; link++) {
      const query =
        link === 0
          ? `SELECT ${chain} AS chain, 1 AS link`
          : `SELECT chain, link + 1 AS link FROM ${name(chain, link - 1)}`;
      files[`${name(chain, link).slice(4)}.sql`] = modelFile(
        [`name ${name(chain, link)}`, 'kind FULL', "cron '@daily'"],
        query,
      );
    }
  }
  return files;
}

describe('a run of 500 models on the real stack', () => {
  const stack = useOrchestrationStack(() => ({
    tag: 'many',
    start: Math.floor(Date.now() / DAY) * DAY - 3 * DAY,
    models: models(),
    runExecutor: 'run-1@test',
  }));

  it(
    'starts, runs every model once and succeeds, with the environment still running',
    async () => {
      const { db, client, wh } = stack();
      const project = stack().project();
      expect(project.models).toHaveLength(MODELS);

      // Planned as of a day ago, so yesterday's interval of every model is due now.
      const planStarted = Date.now();
      const submitted = await applyPlan(stack(), { now: Date.now() - DAY, timeoutMs: 3 * MINUTE });
      expect(submitted.diff.added).toHaveLength(MODELS);
      const planMs = Date.now() - planStarted;

      // The environment is paused so that a daily tick falling during the test starts no run of its
      // own; models named in a trigger run even when paused.
      await pauseEnvironment(client, 'prod', 'the test triggers its own run', 'ci');
      const runStarted = Date.now();
      const runId = await triggerRun(client, 'prod', {
        models: project.models.map((m) => m.name),
        requestedBy: 'ci',
      });
      const run = await waitForRunEnded(db, runId, 3 * MINUTE);
      const runMs = Date.now() - runStarted;
      expect(run.error).toBeNull();
      expect(run.status).toBe('succeeded');
      expect(run.models).toHaveLength(MODELS);
      const executions = await queryRows<{ status: string; n: number; models: number }>(
        db,
        sql`select status, count(*)::int as n, count(distinct model)::int as models
          from sluice.model_executions where run_id = ${runId} group by status`,
      );
      expect(executions).toEqual([{ status: 'succeeded', n: MODELS, models: MODELS }]);
      const [last] = await wh`select chain, link from ${wh(name(CHAINS - 1, CHAIN_LENGTH - 1))}`;
      expect(last).toEqual({ chain: CHAINS - 1, link: CHAIN_LENGTH });

      // Its search attributes: the environment, the trigger and a bounded list of model names.
      // (the run's record is final a moment before its workflow closes)
      const runHandle = client.workflow.getHandle(runId);
      await runHandle.result();
      const described = await runHandle.describe();
      console.info(
        `${MODELS} models: plan applied in ${planMs} ms; triggered run ended in ${runMs} ms ` +
          `with ${described.historyLength} history events`,
      );
      expect(described.status.name).toBe('COMPLETED');
      expect(described.typedSearchAttributes.get(SluiceEnvironment)).toBe('prod');
      expect(described.typedSearchAttributes.get(SluiceTrigger)).toBe('manual');
      const named = described.typedSearchAttributes.get(SluiceModels) ?? [];
      expect(named.length).toBeGreaterThan(0);
      expect(named.length).toBeLessThanOrEqual(MAX_MODELS_ATTRIBUTE);

      // The environment is still there, with nothing in flight and no failed step.
      const environment = await client.workflow.getHandle(environmentWorkflowId('prod')).describe();
      expect(environment.status.name).toBe('RUNNING');
      const state = await environmentState(client, 'prod');
      expect(state.runsInFlight).toEqual([]);
      expect(state.lastError).toBeNull();
      expect(
        Object.values(state.lastExecutions).filter((e) => e.runId === runId && e.status === 'succeeded'),
      ).toHaveLength(MODELS);
    },
    6 * MINUTE,
  );
});
