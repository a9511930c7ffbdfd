/**
 * An environment workflow that continues as new, on the real stack with Temporal's default limits:
 * started with a low `maxHistoryEvents`, it is driven through several runs of its chain, and each
 * command after that (a plan, a model's pause, the environment's pause and resume, a trigger, the
 * model's resume) is sent after yet another continue-as-new and takes effect on the run that is
 * current, with what the earlier runs held carried over.
 */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  ensureEnvironmentWorkflow,
  environmentState,
  pauseEnvironment,
  pauseModel,
  resumeEnvironment,
  resumeModel,
  triggerRun,
} from '../../../api/environment-commands.ts';
import { environmentWorkflowId } from '../../../core/workflow-ids.ts';
import { queryRows } from '../../../db/query-rows.ts';
import { waitFor } from '../../support/waiting.ts';
import { applyPlan, floorMinute, MINUTE, modelFile, useOrchestrationStack } from './stack.ts';

/** low enough that a few signals fill it, high enough for a fresh run to settle below it. */
const MAX_HISTORY_EVENTS = 40;

describe('an environment that continues as new on the real stack', () => {
  const stack = useOrchestrationStack(() => ({
    tag: 'can',
    start: floorMinute(Date.now()) - 3 * MINUTE,
    models: {
      'ticks.sql': modelFile(
        [
          'name can.ticks',
          'kind INCREMENTAL_BY_TIME_RANGE (time_column minute, batch_size 1)',
          "cron '* * * * *'",
        ],
        'SELECT CAST(@start_ts AS TIMESTAMP) AS minute',
      ),
      'tick_count.sql': modelFile(
        ['name can.tick_count', 'kind FULL', "cron '* * * * *'"],
        'SELECT COUNT(*) AS minutes FROM can.ticks',
      ),
      'latest.sql': modelFile(
        ['name can.latest', 'kind VIEW'],
        'SELECT MAX(minute) AS minute FROM can.ticks',
      ),
    },
    runExecutor: 'run-1@test',
  }));

  it(
    'takes a plan, pauses, resumes and a trigger on the current run after each continue-as-new',
    async () => {
      const { db, client } = stack();
      const options = { maxHistoryEvents: MAX_HISTORY_EVENTS };
      const handle = await ensureEnvironmentWorkflow(client, 'prod', options);
      const describe = () => handle.describe();
      const first = await describe();
      const firstRunId = first.runId;
      const chain = [firstRunId];

      /**
       * Fills the current run's history with `nudge` (commands that leave the environment as it was)
       * until the environment has continued as new; returns the new run's id.
       */
      const continueAsNew = async (nudge: () => Promise<void>) => {
        const before = chain.at(-1)!;
        const next = await waitFor(
          `the environment to continue as new after run ${before}`,
          async () => {
            const current = await describe();
            if (current.runId !== before && current.status.name === 'RUNNING') return current.runId;
            await nudge();
            return undefined;
          },
          60_000,
        );
        chain.push(next);
        return next;
      };
      const pauseAndResumeEnvironment = async () => {
        await pauseEnvironment(client, 'prod', 'filling history', 'ci');
        await resumeEnvironment(client, 'prod', 'ci');
      };
      /** a view does not run on a schedule: pausing and resuming it changes nothing that runs. */
      const pauseAndResumeView = async () => {
        await pauseModel(client, 'prod', 'can.latest', 'filling history', 'ci');
        await resumeModel(client, 'prod', 'can.latest', 'ci');
      };

      // Several continue-as-new before anything else.
      for (let i = 0; i < 3; i++) await continueAsNew(pauseAndResumeEnvironment);
      for (const runId of chain.slice(0, -1)) {
        const closed = await client.workflow.getHandle(environmentWorkflowId('prod'), runId).describe();
        expect(closed.status.name, runId).toBe('CONTINUED_AS_NEW');
      }
      const current = await describe();
      expect(current.status.name).toBe('RUNNING');
      expect(current.raw.workflowExecutionInfo?.firstRunId).toBe(firstRunId);

      // A plan, sent to the run that is current now, is applied; the environment schedules its models.
      const submitted = await applyPlan(stack(), { options });
      expect(submitted.position).toBe(1);

      // A model's pause, after another continue-as-new; it holds across the next one.
      await continueAsNew(pauseAndResumeView);
      await pauseModel(client, 'prod', 'can.ticks', 'source late', 'ci');
      await waitFor(
        'can.ticks to be paused',
        async () => {
          const state = await environmentState(client, 'prod');
          return state.pauses.models['can.ticks'] && state.blocked['can.tick_count'] ? true : undefined;
        },
        20_000,
      );
      const pausedAt = Date.now();
      await continueAsNew(pauseAndResumeView);
      const afterModelPause = await environmentState(client, 'prod');
      expect(afterModelPause.pauses.models['can.ticks']).toMatchObject({
        reason: 'source late',
        actor: 'ci',
      });
      expect(afterModelPause.blocked['can.tick_count']).toMatch(/can\.ticks/);

      // The environment's pause and resume, each on a run of its own.
      await pauseEnvironment(client, 'prod', 'maintenance', 'ci');
      await waitFor(
        'the environment to be paused',
        async () => ((await environmentState(client, 'prod')).paused ? true : undefined),
        20_000,
      );
      await continueAsNew(pauseAndResumeView);
      expect((await environmentState(client, 'prod')).pauses.environment).toMatchObject({
        reason: 'maintenance',
      });
      await resumeEnvironment(client, 'prod', 'ci');
      await waitFor(
        'the environment to be resumed',
        async () => ((await environmentState(client, 'prod')).paused ? undefined : true),
        20_000,
      );
      await continueAsNew(pauseAndResumeView);

      // A trigger of the paused model runs it (a named model runs even when paused) once it has a
      // minute due, while no scheduled run touched it.
      // (the minute under way when the pause took effect ends and is ready, and no run took it)
      const dueAt = floorMinute(pausedAt) + MINUTE + 1_000;
      await waitFor(
        'a minute of can.ticks to be due',
        async () => (Date.now() > dueAt ? true : undefined),
        2 * MINUTE,
      );
      const runId = await triggerRun(client, 'prod', { models: ['can.ticks'], requestedBy: 'ci' });
      const run = await waitFor(
        `triggered run ${runId} to end`,
        async () => {
          const [row] = await queryRows<{ status: string; trigger: string; models: string[] }>(
            db,
            sql`select status, trigger, models from sluice.runs where id = ${runId}`,
          );
          return row && row.status !== 'queued' && row.status !== 'running' ? row : undefined;
        },
        60_000,
      );
      expect(run).toEqual({ status: 'succeeded', trigger: 'manual', models: ['can.ticks'] });
      // ... and reported back to the environment's current run.
      await waitFor(
        `run ${runId} to be reported`,
        async () => {
          const state = await environmentState(client, 'prod');
          return state.runsInFlight.length === 0 && state.lastExecutions['can.ticks']?.runId === runId
            ? true
            : undefined;
        },
        20_000,
      );
      const ticksRuns = await queryRows<{ run_id: string; status: string }>(
        db,
        sql`select run_id, status from sluice.model_executions
          where model = 'can.ticks' and queued_at > to_timestamp(${pausedAt / 1000}::float8)`,
      );
      expect(ticksRuns.length).toBeGreaterThan(0);
      expect(ticksRuns.every((e) => e.run_id === runId && e.status === 'succeeded')).toBe(true);

      // The model's resume, on yet another run: its downstream is no longer blocked and catches up.
      await continueAsNew(pauseAndResumeView);
      const resumedAt = Date.now();
      await resumeModel(client, 'prod', 'can.ticks', 'ci');
      await waitFor(
        'can.tick_count to catch up after the resume',
        async () => {
          const state = await environmentState(client, 'prod');
          if (state.pauses.models['can.ticks'] || Object.keys(state.blocked).length > 0) return undefined;
          const [row] = await queryRows<{ n: number }>(
            db,
            sql`select count(*)::int as n from sluice.model_executions
              where model = 'can.tick_count' and status = 'succeeded'
                and queued_at > to_timestamp(${resumedAt / 1000}::float8)`,
          );
          return row!.n > 0 ? true : undefined;
        },
        90_000,
      );

      // Every command went to the run that was current then: the chain holds them all.
      const listed: string[] = [];
      await waitFor(
        'the chain to be listed',
        async () => {
          listed.length = 0;
          for await (const execution of client.workflow.list({
            query: `WorkflowId = '${environmentWorkflowId('prod')}'`,
          })) {
            listed.push(execution.runId);
          }
          return chain.every((id) => listed.includes(id)) ? true : undefined;
        },
        30_000,
      );
      expect(new Set(chain).size).toBe(chain.length);
      expect(chain.length).toBeGreaterThanOrEqual(9);
      const last = await describe();
      expect(last.status.name).toBe('RUNNING');
      expect(last.raw.workflowExecutionInfo?.firstRunId).toBe(firstRunId);
      expect((await environmentState(client, 'prod')).lastError).toBeNull();
    },
    5 * MINUTE,
  );
});
