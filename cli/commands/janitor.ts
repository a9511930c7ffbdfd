/**
 * `sluice janitor run [--dry-run]`: a janitor pass now (expired environments deleted, unused tables
 * dropped on the apply executors), or what it would do. `sluice janitor history`: the tables it
 * dropped, newest first.
 */
import type { Command } from 'commander';
import { PAGE_LIMIT } from '../../core/validation/limits.ts';
import type { JanitorRun } from '../api-client.ts';
import { type ApiOptions, apiClient, print, printJson, withApiOptions } from '../api-options.ts';
import { CliError, EXIT } from '../errors.ts';
import { countOption } from '../input-checks.ts';
import { formatTable } from '../table.ts';

export function registerJanitor(program: Command): void {
  const janitor = program
    .command('janitor')
    .description('delete expired environments and drop tables no one uses; its history');

  withApiOptions(
    janitor
      .command('run')
      .description('run a janitor pass now')
      .option('--dry-run', 'only show what it would delete and drop'),
  ).action(async (options: ApiOptions & { dryRun?: boolean }) => {
    const run = await apiClient(options).runJanitor(options.dryRun === true);
    if (options.json) printJson(run);
    else print(describeRun(run));
    if (run.failures.length > 0) {
      throw new CliError(
        `the janitor pass left ${run.failures.length} failure(s); the next pass tries again`,
        EXIT.failed,
      );
    }
  });

  withApiOptions(
    janitor
      .command('history')
      .description('the tables the janitor dropped, newest first')
      .option('--limit <n>', 'how many', '50'),
  ).action(async (options: ApiOptions & { limit?: string }) => {
    const page = await apiClient(options).janitorDrops({
      limit: options.limit === undefined ? undefined : countOption('--limit', options.limit, PAGE_LIMIT),
    });
    if (options.json) return printJson(page);
    if (page.items.length === 0) return print('The janitor has dropped nothing yet');
    print(
      formatTable(
        ['TABLE', 'GATEWAY', 'STATUS', 'DECIDED', 'DROPPED', 'EXECUTOR'],
        page.items.map((d) => [
          d.physicalTable ?? `${d.snapshotId} (no table)`,
          d.gateway,
          d.status,
          d.decidedAt,
          d.droppedAt ?? '-',
          d.executor ?? '-',
        ]),
      ),
    );
  });
}

function describeRun(run: JanitorRun): string {
  const lines = [
    `${run.dryRun ? 'Dry run' : 'Janitor pass'} ${run.workflowId}`,
    `Expired environments ${run.dryRun ? 'it would delete' : 'deleted'}: ${run.environments.join(', ') || 'none'}`,
    `Tables ${run.dryRun ? 'it would drop' : 'dropped'}: ${run.dropped.length}`,
    ...run.dropped.map((d) => `  ${d.gateway}: ${d.physicalTable ?? `${d.snapshotId} (no table)`}`),
  ];
  if (run.kept.length > 0) {
    lines.push(`Kept: ${run.kept.length}`, ...run.kept.map((k) => `  ${k.snapshotId}: ${k.reason}`));
  }
  const stored = run.storedPayloads;
  if (stored !== undefined && stored.before !== null) {
    lines.push(
      `Stored payloads ${run.dryRun ? 'it would delete' : 'deleted'}: ${stored.payloads} (${(stored.bytes / 1048576).toFixed(1)} MB), last stored before ${stored.before}`,
    );
  }
  for (const failure of run.failures) lines.push(`Failed: ${failure.target}: ${failure.error}`);
  return lines.join('\n');
}
