/**
 * The checks the CLI makes before it calls the API, so a bad argument is refused at once without a
 * round trip: the shared checks of core/validation on environment and model names, page sizes and
 * a range on its own (readable times, within bounds, start before end and before now). What needs
 * the environment's models (their life and interval units) is left to the API, whose error is
 * printed as it comes.
 */
import { ACCEPTED_TIME_FORMS, parseEndTimeValue, parseTimeValue } from '../core/time.ts';
import { environmentNameProblem, modelNameProblem } from '../core/validation/identifiers.ts';
import { type CountLimit, countProblem } from '../core/validation/limits.ts';
import { firstProblem, type Problem } from '../core/validation/problem.ts';
import { instantProblem, rangeShapeProblem, startBeforeNowProblem } from '../core/validation/range.ts';
import { CliError, EXIT } from './errors.ts';

function refuse(problem: Problem | null): void {
  if (problem) throw new CliError(problem.message, EXIT.invalid);
}

/** The environment argument. */
export function checkEnvironmentArgument(env: string): void {
  refuse(environmentNameProblem('environment', env));
}

/** Each `--select-model`. */
export function checkModelOptions(models: readonly string[]): void {
  for (const model of models) refuse(modelNameProblem('--select-model', model));
}

/** A count option such as `--limit`, as a number. */
export function countOption(option: string, value: string, limit: CountLimit): number {
  const n = Number(value);
  refuse(countProblem(option, value.trim() === '' || Number.isNaN(n) ? value : n, limit));
  return n;
}

function readTime(option: string, value: string, read: (v: string, now: number) => number, now: number) {
  try {
    return read(value, now);
  } catch {
    throw new CliError(
      `${option} ${JSON.stringify(value)} is not a time: use ${ACCEPTED_TIME_FORMS}`,
      EXIT.invalid,
    );
  }
}

/**
 * `--start` and `--end` read as the API reads them (a date-only end covers that day), and checked
 * on their own; `beforeNow` also asks that the start be before now (a restatement's must).
 */
export function checkRangeOptions(
  range: { start?: string; end?: string },
  now: number,
  { beforeNow }: { beforeNow: boolean },
): void {
  const start = range.start === undefined ? undefined : readTime('--start', range.start, parseTimeValue, now);
  const end = range.end === undefined ? undefined : readTime('--end', range.end, parseEndTimeValue, now);
  const problem = firstProblem(
    start === undefined ? null : instantProblem('range.start', start),
    end === undefined ? null : instantProblem('range.end', end),
    start === undefined || end === undefined ? null : rangeShapeProblem('range', { start, end }),
    start === undefined || !beforeNow ? null : startBeforeNowProblem('range.start', start, now),
  );
  if (!problem) return;
  const message = problem.message.replaceAll('range.start', '--start').replaceAll('range.end', '--end');
  throw new CliError(message, EXIT.invalid);
}
