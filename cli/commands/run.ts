/** `sluice run [env]` and `sluice restate [env]`: start a run now, or restate a range of models. */
import type { Command } from 'commander';
import type { TriggeredRun } from '../api-client.ts';
import {
  type ApiOptions,
  apiClient,
  collect,
  DEFAULT_ENVIRONMENT,
  print,
  printJson,
  withApiOptions,
} from '../api-options.ts';
import { CliError, EXIT } from '../errors.ts';
import { checkEnvironmentArgument, checkModelOptions, checkRangeOptions } from '../input-checks.ts';

interface RunOptions extends ApiOptions {
  selectModel: string[];
  includeUpstream?: boolean;
}

export function registerRun(program: Command): void {
  withApiOptions(
    program
      .command('run')
      .description("run an environment's due intervals now: every scheduled model, or the selected ones")
      .argument('[env]', 'environment', DEFAULT_ENVIRONMENT)
      .option('--select-model <model>', 'run this model (repeat for more)', collect, [])
      .option('--include-upstream', 'also run the models the selected ones read from'),
  ).action(async (env: string, options: RunOptions) => {
    checkEnvironmentArgument(env);
    checkModelOptions(options.selectModel);
    const run = await apiClient(options).triggerRun(env, {
      ...(options.selectModel.length > 0 ? { models: options.selectModel } : {}),
      ...(options.includeUpstream ? { includeUpstream: true } : {}),
    });
    report(run, options);
  });
}

export function registerRestate(program: Command): void {
  withApiOptions(
    program
      .command('restate')
      .description(
        "clear the selected models' completed intervals in [start, end) and run them again, downstream too",
      )
      .argument('[env]', 'environment', DEFAULT_ENVIRONMENT)
      .option('--select-model <model>', 'restate this model (repeat for more)', collect, [])
      .requiredOption('--start <time>', 'first instant to restate')
      .requiredOption('--end <time>', 'end of the range (a date covers that whole day)'),
  ).action(async (env: string, options: RunOptions & { start: string; end: string }) => {
    if (options.selectModel.length === 0) {
      throw new CliError('restate needs at least one --select-model <model>', EXIT.invalid);
    }
    checkEnvironmentArgument(env);
    checkModelOptions(options.selectModel);
    // the models' life and interval units are the API's to check: its error is printed as it comes
    checkRangeOptions(options, Date.now(), { beforeNow: true });
    const run = await apiClient(options).triggerRun(env, {
      models: options.selectModel,
      restate: { start: options.start, end: options.end },
    });
    report(run, options);
  });
}

function report(run: TriggeredRun, options: ApiOptions): void {
  if (options.json) {
    printJson(run);
    return;
  }
  const what = run.models.length > 0 ? run.models.join(', ') : 'every scheduled model';
  const range = run.restate ? ` restating ${run.restate.start} - ${run.restate.end}` : '';
  print(`Run ${run.runId} queued in ${run.environment} for ${what}${range}`);
  print(`Follow it with: sluice logs ${run.runId} --follow`);
}
