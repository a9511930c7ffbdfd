/** `sluice executors`: every run and apply executor, with its version, gateways and whether it is up. */
import { type Command, Option } from 'commander';
import { EXECUTOR_ROLES, EXECUTOR_STATUSES } from '../../api/schemas/executor-choices.ts';
import { type ApiOptions, apiClient, print, printJson, withApiOptions } from '../api-options.ts';
import { formatTable } from '../table.ts';

interface ExecutorsOptions extends ApiOptions {
  role?: string;
  status?: string;
}

export function registerExecutors(program: Command): void {
  withApiOptions(
    program
      .command('executors')
      .description('run and apply executors: identity, version, gateways, last seen, up/stopped/gone')
      .addOption(new Option('--role <role>', 'only executors of this role').choices(EXECUTOR_ROLES))
      .addOption(new Option('--status <status>', 'only executors in this status').choices(EXECUTOR_STATUSES)),
  ).action(async (options: ExecutorsOptions) => {
    const list = await apiClient(options).executors({ role: options.role, status: options.status });
    if (options.json) return printJson(list);
    if (list.items.length === 0) {
      const filter = [options.status, options.role].filter(Boolean).join(' ');
      return print(
        filter === ''
          ? 'No executors have polled or reported in the last 24 hours: start one with `sluice worker --role run`'
          : `No ${filter} executors`,
      );
    }
    print(
      formatTable(
        ['IDENTITY', 'ROLE', 'STATUS', 'HEALTH', 'IN FLIGHT', 'VERSION', 'GATEWAYS', 'LAST SEEN', 'STARTED'],
        list.items.map((e) => [
          e.identity,
          e.role,
          e.status,
          e.health ?? '-',
          e.inFlight === null ? '-' : String(e.inFlight),
          e.version ?? '-',
          e.gateways === null ? '-' : e.gateways.join(', ') || '-',
          e.lastSeen,
          e.startedAt ?? '-',
        ]),
      ),
    );
  });
}
