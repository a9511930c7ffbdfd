import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatIssue, ProjectError } from '../../core/project/types.ts';
import type { DevStack } from '../../workers/dev-stack.ts';
import { colorsWanted, palette } from '../dev-output/colors.ts';
import { formatDevEvent } from '../dev-output/format.ts';
import { formatSdkLog } from '../dev-output/sdk-log.ts';
import { sdkLogLevel, shows, type Verbosity } from '../dev-output/verbosity.ts';
import { CliError, EXIT } from '../errors.ts';

interface DevOptions {
  project: string;
  quiet?: boolean;
  verbose?: boolean;
}

export function registerDev(program: Command): void {
  program
    .command('dev')
    .description(
      'run sluice locally in one process: a Temporal dev server with its Web UI, the state database, the ' +
        'scheduler and one run and one apply executor; applies the project to prod and keeps it fresh, ' +
        'printing a line per run and plan step',
    )
    .option('-p, --project <dir>', 'project folder', '.')
    .option('-q, --quiet', 'after start-up, print only failures and errors')
    .option('-v, --verbose', "also print each model's execution and the Temporal SDK's INFO logs")
    .action(async (options: DevOptions) => {
      if (options.quiet && options.verbose) {
        throw new CliError('--quiet and --verbose exclude each other; pick one', EXIT.invalid);
      }
      const verbosity: Verbosity = options.quiet ? 'quiet' : options.verbose ? 'verbose' : 'normal';
      const colors = palette(colorsWanted(process.stdout, process.env));
      const log = (line: string) => process.stdout.write(`${line}\n`);
      // loaded here so that other commands do not pay for Temporal's native worker runtime
      const { readConfig } = await import('../../config/read.ts');
      // a bad setting exits 2 naming its variable (cli/errors.ts)
      const config = readConfig('dev', process.env);
      const graceMs = config.SLUICE_SHUTDOWN_GRACE;
      const { startDevStack } = await import('../../workers/dev-stack.ts');
      const { installWorkerRuntime } = await import('../../workers/runtime.ts');
      const { watchShutdownSignals } = await import('../../workers/shutdown.ts');
      const sdkColors = palette(colorsWanted(process.stderr, process.env));
      installWorkerRuntime(sdkLogLevel(verbosity), (entry) =>
        process.stderr.write(`${formatSdkLog(entry, sdkColors)}\n`),
      );
      const signals = watchShutdownSignals({ graceMs, log });
      let stack: DevStack;
      try {
        stack = await startDevStack({
          project: resolve(options.project),
          env: process.env,
          config,
          log,
          api: {},
          activity: {
            executions: verbosity === 'verbose',
            emit: (event) => {
              if (shows(event, verbosity)) log(formatDevEvent(event, colors));
            },
          },
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
