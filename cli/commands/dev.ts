import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatIssue, ProjectError } from '../../core/project/types.ts';
import type { DevStack } from '../../workers/dev-stack.ts';
import { CliError, EXIT } from '../errors.ts';

export function registerDev(program: Command): void {
  program
    .command('dev')
    .description(
      'run sluice locally in one process: a Temporal dev server with its Web UI, the state database, the ' +
        'scheduler and one run and one apply executor; applies the project to prod and keeps it fresh',
    )
    .option('-p, --project <dir>', 'project folder', '.')
    .action(async (options: { project: string }) => {
      const log = (line: string) => process.stdout.write(`${line}\n`);
      const { readConfig } = await import('../../config/read.ts');
      // a bad setting exits 2 naming its variable (cli/errors.ts)
      const config = readConfig('dev', process.env);
      const graceMs = config.SLUICE_SHUTDOWN_GRACE;
      // loaded here so that other commands do not pay for Temporal's native worker runtime
      const { startDevStack } = await import('../../workers/dev-stack.ts');
      const { installWorkerRuntime } = await import('../../workers/runtime.ts');
      const { watchShutdownSignals } = await import('../../workers/shutdown.ts');
      installWorkerRuntime('WARN');
      const signals = watchShutdownSignals({ graceMs, log });
      let stack: DevStack;
      try {
        stack = await startDevStack({
          project: resolve(options.project),
          env: process.env,
          config,
          log,
          api: {},
        });
      } catch (error) {
        signals.dispose();
        if (error instanceof ProjectError) {
          for (const issue of error.issues) process.stderr.write(`${formatIssue(issue)}\n`);
          const n = error.issues.length;
          throw new CliError(
            `${n} error${n === 1 ? '' : 's'} in ${options.project}; fix them and start again`,
            EXIT.invalid,
          );
        }
        throw error;
      }
      process.exit(await signals.serve([{ name: 'sluice dev', done: stack.done, stop: stack.stop }]));
    });
}
