/** `sluice runs`: recent runs, newest first. */
import type { Command } from 'commander';
import { PAGE_LIMIT } from '../../core/validation/limits.ts';
import { type ApiOptions, apiClient, print, printJson, withApiOptions } from '../api-options.ts';
import { checkEnvironmentArgument, countOption } from '../input-checks.ts';
import { formatTable } from '../table.ts';

interface RunsOptions extends ApiOptions {
  environment?: string;
  status?: string;
  limit?: string;
}

export function registerRuns(program: Command): void {
  withApiOptions(
    program
      .command('runs')
      .description('recent runs, newest first')
      .option('-e, --environment <env>', 'only this environment')
      .option('--status <status>', 'only runs with this status (comma-separated for several)')
      .option('--limit <n>', 'how many', '20'),
  ).action(async (options: RunsOptions) => {
    if (options.environment !== undefined) checkEnvironmentArgument(options.environment);
    const page = await apiClient(options).runs({
      environment: options.environment,
      status: options.status,
      limit: options.limit === undefined ? undefined : countOption('--limit', options.limit, PAGE_LIMIT),
    });
    if (options.json) return printJson(page);
    if (page.items.length === 0) return print('No runs yet');
    print(
      formatTable(
        ['RUN', 'ENVIRONMENT', 'TRIGGER', 'STATUS', 'SCHEDULED', 'FINISHED', 'MODELS'],
        page.items.map((r) => [
          r.id,
          r.environment,
          r.trigger,
          r.status,
          r.scheduledAt,
          r.finishedAt ?? '-',
          String(r.models.length),
        ]),
      ),
    );
  });
}
