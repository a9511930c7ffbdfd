/** `sluice pause [env]` and `sluice resume [env]`: a whole environment, or one model with --model. */
import type { Command } from 'commander';
import type { PauseChange } from '../api-client.ts';
import {
  type ApiOptions,
  apiClient,
  DEFAULT_ENVIRONMENT,
  print,
  printJson,
  withApiOptions,
} from '../api-options.ts';

interface PauseOptions extends ApiOptions {
  model?: string;
  reason?: string;
}

export function registerPause(program: Command): void {
  withApiOptions(
    program
      .command('pause')
      .description('pause an environment (or one model and its downstream): nothing runs on schedule')
      .argument('[env]', 'environment', DEFAULT_ENVIRONMENT)
      .option('--model <model>', 'pause only this model')
      .requiredOption('--reason <text>', 'why, for the audit log and everyone looking'),
  ).action(async (env: string, options: PauseOptions & { reason: string }) => {
    const client = apiClient(options);
    const change = options.model
      ? await client.pauseModel(env, options.model, options.reason)
      : await client.pauseEnvironment(env, options.reason);
    report(change, options);
  });

  withApiOptions(
    program
      .command('resume')
      .description('resume a paused environment or model; it catches up every missed interval')
      .argument('[env]', 'environment', DEFAULT_ENVIRONMENT)
      .option('--model <model>', 'resume only this model'),
  ).action(async (env: string, options: PauseOptions) => {
    const client = apiClient(options);
    const change = options.model
      ? await client.resumeModel(env, options.model)
      : await client.resumeEnvironment(env);
    report(change, options);
  });
}

function report(change: PauseChange, options: ApiOptions): void {
  if (options.json) {
    printJson(change);
    return;
  }
  const what = change.model ? `${change.model} in ${change.environment}` : change.environment;
  const done = change.action === 'pause' ? 'paused' : 'resumed';
  print(
    change.confirmed
      ? `${what} ${done}`
      : `${what}: ${change.action} sent; the environment workflow has not shown it yet (is the scheduler worker running?)`,
  );
}
