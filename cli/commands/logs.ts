/**
 * `sluice logs <run>`: a run's model executions and, for each, its rendered SQL, statements with
 * timings, notices and error; with `--follow`, the run's executions as they happen until it ends.
 */
import type { Command } from 'commander';
import type { ApiClient, Execution, Run } from '../api-client.ts';
import { type ApiOptions, apiClient, print, printJson, withApiOptions } from '../api-options.ts';
import { CliError, EXIT } from '../errors.ts';
import { runTimesLine } from '../run-times.ts';
import { formatTable } from '../table.ts';

export function registerLogs(program: Command): void {
  withApiOptions(
    program
      .command('logs')
      .description("a run's executions with their SQL, timings and errors")
      .argument('<run>', 'run id')
      .option('-f, --follow', 'stream the executions as they happen until the run ends'),
  ).action(async (runId: string, options: ApiOptions & { follow?: boolean }) => {
    const client = apiClient(options);
    if (options.follow) return follow(client, runId, Boolean(options.json));
    const run = await client.run(runId);
    const logs = await Promise.all(
      run.executions.filter((e) => e.hasLog).map((e) => client.executionLog(run.id, e.id)),
    );
    if (options.json) return printJson({ ...run, logs });
    print(
      `Run ${run.id} (${run.trigger}, ${run.environment}): ${run.status}${run.error ? ` - ${run.error}` : ''}`,
    );
    print(runTimesLine(run));
    print('');
    print(
      formatTable(
        ['MODEL', 'INTERVAL', 'STATUS', 'ATTEMPT', 'WAIT', 'DURATION', 'ROWS', 'ERROR'],
        run.executions.map((e) => executionRow(e)),
      ),
    );
    for (const log of logs) {
      print('');
      print(`== ${log.model} (${log.executionId}): ${log.status}`);
      if (log.error) print(`error: ${log.error}`);
      if (log.renderedSql) print(log.renderedSql);
      for (const s of log.statements) print(`${s.sql}\n-- ${s.durationMs} ms, ${s.rowsAffected ?? '?'} rows`);
      for (const notice of log.notices) print(`notice: ${notice}`);
    }
  });
}

async function follow(client: ApiClient, runId: string, json: boolean): Promise<void> {
  let final: Run | undefined;
  await client.followRun(runId, (event) => {
    if (json) return print(JSON.stringify(event));
    if (event.event === 'run') {
      const run = event.data as Run;
      print(
        `run ${run.id}: ${run.status}${run.status === 'queued' && run.queuedReason ? ` - ${run.queuedReason}` : ''}`,
      );
    } else if (event.event === 'execution') {
      const e = event.data as Execution;
      print(`${e.model} ${intervalText(e)}: ${e.status}${e.error ? ` - ${e.error}` : ''}`);
    } else if (event.event === 'end') {
      final = event.data as Run;
    }
  });
  if (!final)
    throw new CliError(`the event stream of run ${runId} closed before the run ended; run the command again`);
  if (!json) print(`run ${final.id} ended: ${final.status}; ${runTimesLine(final)}`);
  if (final.status === 'failed')
    throw new CliError(`run ${final.id} failed${final.error ? `: ${final.error}` : ''}`, EXIT.failed);
}

function intervalText(e: Execution): string {
  return e.interval ? `[${e.interval.start} - ${e.interval.end})` : '(whole)';
}

function executionRow(e: Execution): string[] {
  return [
    e.model,
    intervalText(e),
    e.status,
    String(e.attempt),
    e.waitMs === null ? '-' : `${e.waitMs} ms`,
    e.durationMs === null ? '-' : `${e.durationMs} ms`,
    e.rowsAffected === null ? '-' : String(e.rowsAffected),
    e.error ?? e.skipReason ?? '',
  ];
}
