/** `sluice schedules [env]`: every model's cron, time zone, interval unit, next run and state. */
import type { Command } from 'commander';
import { type ApiOptions, apiClient, print, printJson, withApiOptions } from '../api-options.ts';
import { formatTable } from '../table.ts';

export function registerSchedules(program: Command): void {
  withApiOptions(
    program
      .command('schedules')
      .description("every model's schedule: cron, time zone, interval unit, next run, paused, last status")
      .argument('[env]', 'environment (all when omitted)'),
  ).action(async (env: string | undefined, options: ApiOptions) => {
    const list = await apiClient(options).schedules(env);
    if (options.json) return printJson(list);
    if (list.items.length === 0) return print('No models are scheduled: plan a project with `sluice plan`');
    print(
      formatTable(
        ['ENVIRONMENT', 'MODEL', 'CRON', 'TIMEZONE', 'UNIT', 'NEXT RUN', 'ENABLED', 'PAUSED', 'LAST STATUS'],
        list.items.map((s) => [
          s.environment,
          s.model,
          s.cron,
          s.cronTz,
          s.intervalUnit,
          s.nextRun ?? notOnCron(s),
          s.enabled ? 'yes' : 'no',
          s.paused ? 'yes' : s.blockedReason ? 'blocked' : 'no',
          s.lastStatus ?? '-',
        ]),
      ),
    );
  });
}

/** Why a model has no next run: disabled, inlined into its readers, or built only when a plan applies. */
function notOnCron(s: { kind: string; enabled: boolean }): string {
  if (!s.enabled) return '- (disabled)';
  return s.kind === 'EMBEDDED' ? '- (inlined)' : '- (built by plans)';
}
