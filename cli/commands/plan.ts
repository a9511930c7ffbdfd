/**
 * `sluice plan [env]`: loads the project here, sends it to the API, and prints what applying it
 * would change; with `--auto-apply` the API queues it at once, behind any plan queued or applying in
 * the environment, and the command follows it until it is done. A plan that queued behind another
 * is computed again when its turn comes, so its diff is printed once it has been applied.
 */
import type { Command } from 'commander';
import { parseTtl, TtlError } from '../../core/environment/ttl.ts';
import { PROD_ENVIRONMENT } from '../../core/naming.ts';
import { planSummary } from '../../core/plan/summary.ts';
import type { ApiClient, Plan } from '../api-client.ts';
import {
  type ApiOptions,
  apiClient,
  cliConfig,
  DEFAULT_ENVIRONMENT,
  print,
  printJson,
  withApiOptions,
} from '../api-options.ts';
import { CliError, EXIT } from '../errors.ts';
import { checkEnvironmentArgument, checkRangeOptions } from '../input-checks.ts';
import { followPlan } from '../plan-progress.ts';

interface PlanOptions extends ApiOptions {
  project: string;
  start?: string;
  end?: string;
  autoApply?: boolean;
  ttl?: string;
}

export function registerPlan(program: Command): void {
  withApiOptions(
    program
      .command('plan')
      .description('compute what applying the project to an environment changes (nothing is applied)')
      .argument('[env]', 'environment', DEFAULT_ENVIRONMENT)
      .option('-p, --project <dir>', 'project folder', '.')
      .option('--start <time>', 'backfill from this time (development environments)')
      .option('--end <time>', 'backfill up to this time (development environments)')
      .option('--auto-apply', 'apply the plan and follow it until it is done')
      .option(
        '--ttl <duration>',
        'non-prod: the environment expires this long after the plan is applied (12h, 3d, 2w); default sluice: environment_ttl',
      ),
  ).action(async (env: string, options: PlanOptions) => {
    checkEnvironmentArgument(env);
    if (options.ttl !== undefined) checkTtlOption(options.ttl, env);
    checkRangeOptions(options, Date.now(), { beforeNow: false });
    // loaded here so that other commands do not pay for the project loader
    const { loadProjectPayload } = await import('../project-payload.ts');
    const project = loadProjectPayload(options.project);
    const client = apiClient(options);
    const plan = await client.createPlan({
      environment: env,
      project,
      ...(options.start === undefined ? {} : { start: options.start }),
      ...(options.end === undefined ? {} : { end: options.end }),
      ...(options.autoApply ? { autoApply: true } : {}),
      ...(options.ttl === undefined ? {} : { ttl: options.ttl }),
    });
    if (!options.autoApply) {
      if (options.json) return printJson(plan);
      print(renderPlan(plan));
      if (plan.changes) print(`Plan ${plan.id} is stored; apply it with: sluice apply ${plan.id}`);
      return;
    }
    const done = await followAutoApplied(client, plan, Boolean(options.json));
    if (options.json) printJson(done);
  });
}

/**
 * Follows an auto-applied plan until it is done. Its diff is printed first when it applies as
 * computed, and once applied (read again then) when it was computed again on its turn.
 */
async function followAutoApplied(client: ApiClient, plan: Plan, quiet: boolean): Promise<Plan> {
  const write = quiet ? () => {} : (line: string) => print(line);
  if (plan.status === 'applied') {
    // nothing to change and nothing queued: applied as soon as it was stored
    write(renderPlan(plan));
    return plan;
  }
  if (!plan.recomputeOnTurn) write(renderPlan(plan));
  write(
    `Plan ${plan.id} queued on ${plan.environment} at position ${plan.queuePosition ?? '?'}` +
      (plan.recomputeOnTurn ? '; its diff is computed again when its turn comes' : ''),
  );
  const done = await followPlan(client, plan.id, { write, intervalMs: cliConfig().SLUICE_POLL_MS });
  if (plan.recomputeOnTurn) write(renderPlan(done));
  write(`Plan ${plan.id} applied to ${done.environment}`);
  return done;
}

export async function applyAndFollow(client: ApiClient, planId: string, quiet: boolean): Promise<Plan> {
  const queued = await client.applyPlan(planId);
  const write = quiet ? () => {} : (line: string) => print(line);
  write(`Plan ${planId} queued on ${queued.environment} at position ${queued.position}`);
  const done = await followPlan(client, planId, { write, intervalMs: cliConfig().SLUICE_POLL_MS });
  write(`Plan ${planId} applied to ${done.environment}`);
  return done;
}

export function renderPlan(plan: Plan): string {
  return planSummary(plan.text, plan.diff);
}

/** `--ttl`: a TTL, for an environment other than prod; exit 2 naming the value otherwise. */
function checkTtlOption(ttl: string, env: string): void {
  if (env === PROD_ENVIRONMENT)
    throw new CliError('--ttl: prod never expires; a TTL is for other environments', EXIT.invalid);
  try {
    parseTtl(ttl, '--ttl');
  } catch (error) {
    if (error instanceof TtlError) throw new CliError(error.message, EXIT.invalid);
    throw error;
  }
}
