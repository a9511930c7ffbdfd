/**
 * `sluice plan [env]`: loads the project here, sends it to the API, and prints what applying it
 * would change; with `--auto-apply` it applies the plan and follows it until it is done.
 */
import type { Command } from 'commander';
import type { ApiClient, Plan } from '../api-client.ts';
import {
  type ApiOptions,
  apiClient,
  DEFAULT_ENVIRONMENT,
  print,
  printJson,
  withApiOptions,
} from '../api-options.ts';
import { followPlan } from '../plan-progress.ts';
import { loadProjectPayload } from '../project-payload.ts';
import { formatTable } from '../table.ts';

interface PlanOptions extends ApiOptions {
  project: string;
  start?: string;
  end?: string;
  autoApply?: boolean;
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
      .option('--auto-apply', 'apply the plan and follow it until it is done'),
  ).action(async (env: string, options: PlanOptions) => {
    const project = loadProjectPayload(options.project);
    const client = apiClient(options);
    const plan = await client.createPlan({
      environment: env,
      project,
      ...(options.start === undefined ? {} : { start: options.start }),
      ...(options.end === undefined ? {} : { end: options.end }),
    });
    if (options.json && !options.autoApply) return printJson(plan);
    if (!options.json) print(renderPlan(plan));
    if (!options.autoApply) {
      if (!options.json && plan.changes)
        print(`Plan ${plan.id} is stored; apply it with: sluice apply ${plan.id}`);
      return;
    }
    if (!plan.changes) {
      if (options.json) printJson(plan);
      return;
    }
    const applied = await applyAndFollow(client, plan.id, Boolean(options.json));
    if (options.json) printJson(applied);
  });
}

export async function applyAndFollow(client: ApiClient, planId: string, quiet: boolean): Promise<Plan> {
  const queued = await client.applyPlan(planId);
  const write = quiet ? () => {} : (line: string) => print(line);
  write(`Plan ${planId} queued on ${queued.environment} at position ${queued.position}`);
  const done = await followPlan(client, planId, { write });
  write(`Plan ${planId} applied to ${done.environment}`);
  return done;
}

export function renderPlan(plan: Plan): string {
  const diff = plan.diff;
  const change = new Map<string, string>();
  for (const m of diff.added) change.set(m, 'added');
  for (const m of diff.removed) change.set(m, 'removed');
  for (const m of diff.directlyModified) change.set(m, 'directly modified');
  for (const m of diff.indirectlyModified) change.set(m, 'indirectly modified');
  for (const m of diff.metadataOnly) change.set(m, 'metadata only');
  const backfill = new Map(diff.backfill.map((b) => [b.model, b]));
  const rows = [...change.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([model, what]) => {
      const entry = backfill.get(model);
      const batches = entry
        ? entry.execution === 'single'
          ? '1 (single)'
          : String(entry.intervals.length)
        : '-';
      return [model, what, batches];
    });
  const lines = [plan.text.trimEnd()];
  if (rows.length > 0) lines.push('', formatTable(['MODEL', 'CHANGE', 'BACKFILL BATCHES'], rows));
  return lines.join('\n');
}
