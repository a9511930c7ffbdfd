/**
 * `sluice cancel <run-or-plan-id>`: cancels a run (`sluice-run-...`) or a plan (its id, or its
 * workflow id `sluice-plan-<id>`). A run's statements are cancelled on the warehouse; a queued plan
 * leaves the queue and one being applied stops before its views change.
 */
import type { Command } from 'commander';
import { type ApiOptions, apiClient, print, printJson, withApiOptions } from '../api-options.ts';

const RUN_PREFIX = 'sluice-run-';
const PLAN_PREFIX = 'sluice-plan-';

export function registerCancel(program: Command): void {
  withApiOptions(
    program
      .command('cancel')
      .description(
        'cancel a run (its statements are cancelled on the warehouse) or a queued or applying plan',
      )
      .argument('<id>', `a run id (${RUN_PREFIX}...) or a plan id (or ${PLAN_PREFIX}<id>)`),
  ).action(async (id: string, options: ApiOptions) => {
    const client = apiClient(options);
    if (id.startsWith(RUN_PREFIX)) {
      const run = await client.cancelRun(id);
      if (options.json) return printJson(run);
      print(
        `Cancelling run ${run.runId} in ${run.environment} (was ${run.status}), asked by ${run.cancelledBy}`,
      );
      print(`Follow it with: sluice logs ${run.runId} --follow`);
      return;
    }
    const planId = id.startsWith(PLAN_PREFIX) ? id.slice(PLAN_PREFIX.length) : id;
    const plan = await client.cancelPlan(planId);
    if (options.json) return printJson(plan);
    print(
      plan.status === 'cancelled'
        ? `Plan ${plan.planId} for ${plan.environment} cancelled by ${plan.cancelledBy}`
        : `Cancelling plan ${plan.planId} for ${plan.environment} (was ${plan.status}), asked by ${plan.cancelledBy}`,
    );
  });
}
