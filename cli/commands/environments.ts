/**
 * `sluice environments list`: every environment with its models, last plan and expiry.
 * `sluice environments delete <env>`: deletes a non-prod environment (its workflow and runs stop, its
 * views and schemas are dropped, its state removed) and waits for the deletion to end.
 * `sluice environments deletion <env>`: how the last deletion went, and who asked for it.
 */
import type { Command } from 'commander';
import type { ApiClient, EnvironmentDeletion } from '../api-client.ts';
import { type ApiOptions, apiClient, print, printJson, withApiOptions } from '../api-options.ts';
import { CliError, EXIT } from '../errors.ts';
import { formatTable } from '../table.ts';

const POLL_MS = 500;

export function registerEnvironments(program: Command): void {
  const environments = program.command('environments').description('list and delete environments');

  withApiOptions(environments.command('list').description('every environment, with its expiry')).action(
    async (options: ApiOptions) => {
      const list = await apiClient(options).environments();
      if (options.json) return printJson(list);
      if (list.items.length === 0) return print('No environments yet: plan a project with `sluice plan`');
      print(
        formatTable(
          ['ENVIRONMENT', 'MODELS', 'LAST PLAN', 'UPDATED', 'EXPIRES'],
          list.items.map((e) => [
            e.name,
            String(e.modelCount),
            e.planId ?? '-',
            e.updatedAt,
            e.expiresAt ?? 'never',
          ]),
        ),
      );
    },
  );

  withApiOptions(
    environments
      .command('delete')
      .description('delete a non-prod environment: stop it, drop its views and schemas, remove its state')
      .argument('<env>', 'environment')
      .option('--no-wait', 'return once the deletion has started'),
  ).action(async (env: string, options: ApiOptions & { wait: boolean }) => {
    const client = apiClient(options);
    let deletion = await client.deleteEnvironment(env);
    if (options.wait) deletion = await untilClosed(client, env, deletion);
    if (options.json) return printJson(deletion);
    print(describeDeletion(deletion));
    if (deletion.status !== 'COMPLETED' && deletion.status !== 'RUNNING') {
      throw new CliError(
        `deleting ${env} ended ${deletion.status}: ${deletion.error ?? 'no reason given'}`,
        EXIT.failed,
      );
    }
  });

  withApiOptions(
    environments
      .command('deletion')
      .description("how an environment's last deletion went, and who asked for it")
      .argument('<env>', 'environment'),
  ).action(async (env: string, options: ApiOptions) => {
    const client = apiClient(options);
    const [deletion, audit] = await Promise.all([
      client.environmentDeletion(env),
      client.audit({ environment: env, action: 'environment.delete', limit: 1 }),
    ]);
    const asked = audit.items[0] ?? null;
    if (options.json)
      return printJson({ ...deletion, requestedBy: asked?.actor ?? null, requestedAt: asked?.at ?? null });
    print(describeDeletion(deletion));
    if (asked) print(`Asked for by ${asked.actor} at ${asked.at}`);
  });
}

export async function untilClosed(
  client: ApiClient,
  env: string,
  first: EnvironmentDeletion,
): Promise<EnvironmentDeletion> {
  let deletion = first;
  while (deletion.status === 'RUNNING') {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    deletion = await client.environmentDeletion(env);
  }
  return deletion;
}

export function describeDeletion(deletion: EnvironmentDeletion): string {
  const { environment, status, result } = deletion;
  if (status === 'RUNNING') return `Deleting ${environment} (workflow ${deletion.workflowId})`;
  if (status !== 'COMPLETED' || result === null)
    return `Deleting ${environment}: ${status} ${deletion.error ?? ''}`.trim();
  const lines = [
    result.removed ? `Deleted ${environment}` : `${environment} was already deleted`,
    `  stopped: ${result.runs.length} run(s), ${result.plans.length} plan(s)`,
    `  schemas dropped: ${result.schemas.join(', ') || 'none'}`,
  ];
  if (result.keptSchemas.length > 0)
    lines.push(`  schemas kept (they hold other objects): ${result.keptSchemas.join(', ')}`);
  return lines.join('\n');
}
