/** `sluice apply <plan>`: queues a stored plan on its environment and follows it until it is done. */
import type { Command } from 'commander';
import { type ApiOptions, apiClient, print, printJson, withApiOptions } from '../api-options.ts';
import { applyAndFollow } from './plan.ts';

export function registerApply(program: Command): void {
  withApiOptions(
    program
      .command('apply')
      .description('apply a plan computed by `sluice plan`, and follow it until it is done')
      .argument('<plan>', 'plan id')
      .option('--no-wait', 'return once the plan is queued'),
  ).action(async (planId: string, options: ApiOptions & { wait: boolean }) => {
    const client = apiClient(options);
    if (!options.wait) {
      const queued = await client.applyPlan(planId);
      if (options.json) return printJson(queued);
      return print(`Plan ${planId} queued on ${queued.environment} at position ${queued.position}`);
    }
    const done = await applyAndFollow(client, planId, Boolean(options.json));
    if (options.json) printJson(done);
  });
}
