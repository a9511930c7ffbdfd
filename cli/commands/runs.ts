/** `sluice runs`: recent runs, newest first, with their wait, prep and run time; `sluice runs <id>`: one run. */
import type { Command } from 'commander';
import { PAGE_LIMIT } from '../../core/validation/limits.ts';
import { type ApiOptions, apiClient, print, printJson, withApiOptions } from '../api-options.ts';
import { checkEnvironmentArgument, countOption } from '../input-checks.ts';
import { runTimeCells, runTimesLine } from '../run-times.ts';
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
      .description('recent runs, newest first; with a run id, that run')
      .argument('[run]', 'run id: show this run')
      .option('-e, --environment <env>', 'only this environment')
      .option('--status <status>', 'only runs with this status (comma-separated for several)')
      .option('--limit <n>', 'how many', '20'),
  ).action(async (runId: string | undefined, options: RunsOptions) => {
    if (runId !== undefined) return showRun(options, runId);
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
        [
          'RUN',
          'ENVIRONMENT',
          'TRIGGER',
          'STATUS',
          'SCHEDULED',
          'FINISHED',
          'WAIT',
          'PREP',
          'RUN TIME',
          'MODELS',
        ],
        page.items.map((r) => [
          r.id,
          r.environment,
          r.trigger,
          r.status,
          r.scheduledAt,
          r.finishedAt ?? '-',
          ...runTimeCells(r),
          String(r.models.length),
        ]),
      ),
    );
  });
}

async function showRun(options: RunsOptions, runId: string): Promise<void> {
  const run = await apiClient(options).run(runId);
  if (options.json) return printJson(run);
  print(
    `Run ${run.id} (${run.trigger}, ${run.environment}): ${run.status}${run.error ? ` - ${run.error}` : ''}`,
  );
  print(
    `Scheduled ${run.scheduledAt}, ready ${run.readyAt ?? '-'}, first statement ${run.firstStatementAt ?? '-'}, finished ${run.finishedAt ?? '-'}`,
  );
  print(runTimesLine(run));
  print(`Models: ${run.models.join(', ')}`);
}
