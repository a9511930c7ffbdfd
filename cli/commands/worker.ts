import { type Command, Option } from 'commander';
import { WORKER_ROLES, type WorkerRole } from '../../workers/worker-roles.ts';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(
      'run one sluice worker process, configured from environment variables: the scheduler (workflows and ' +
        'state database) or a run or apply executor (warehouse credentials)',
    )
    .addOption(
      new Option('--role <role>', 'what the process serves').choices(WORKER_ROLES).makeOptionMandatory(),
    )
    .action(async (options: { role: WorkerRole }) => {
      // loaded here so that other commands do not pay for the worker's configuration and Temporal's native runtime
      const { readWorkerConfig } = await import('../../workers/config.ts');
      const { runWorkerProcess } = await import('../../workers/worker-process.ts');
      // a bad setting exits 2 naming its variable (cli/errors.ts)
      const config = readWorkerConfig(options.role, process.env);
      const code = await runWorkerProcess(
        config,
        (line) => process.stdout.write(`${line}\n`),
        (line) => process.stderr.write(`sluice worker: ${line}\n`),
      );
      process.exit(code);
    });
}
