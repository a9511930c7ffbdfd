/** `sluice pauses [env]`: the active pauses and the models each keeps from running. */
import type { Command } from 'commander';
import {
  type ApiOptions,
  apiClient,
  DEFAULT_ENVIRONMENT,
  print,
  printJson,
  withApiOptions,
} from '../api-options.ts';
import { formatTable } from '../table.ts';

export function registerPauses(program: Command): void {
  withApiOptions(
    program
      .command('pauses')
      .description("list an environment's active pauses")
      .argument('[env]', 'environment', DEFAULT_ENVIRONMENT),
  ).action(async (env: string, options: ApiOptions) => {
    const list = await apiClient(options).pauses(env);
    if (options.json) return printJson(list);
    if (list.items.length === 0) return print(`Nothing is paused in ${env}`);
    print(
      formatTable(
        ['TARGET', 'PAUSED BY', 'SINCE', 'REASON', 'KEEPS FROM RUNNING'],
        list.items.map((p) => [
          p.model ?? `environment ${p.environment}`,
          p.pausedBy,
          p.pausedAt,
          p.reason ?? '',
          p.model === null ? `all ${p.blocks.length} models` : p.blocks.join(', '),
        ]),
      ),
    );
  });
}
