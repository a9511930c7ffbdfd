/** A run's wait, prep and run time as the CLI shows them (`1.2 s`, `-` while unknown). */
import type { Run } from './api-client.ts';
import { duration } from './dev-output/format.ts';

/** The CLI's duration (`850 ms`, `12.3 s`, `4 min 5 s`); `-` when unknown. */
export function msText(ms: number | null): string {
  return ms === null ? '-' : duration(ms);
}

/** The run's three times, in the order they happen. */
export function runTimeCells(run: Pick<Run, 'waitMs' | 'prepMs' | 'runMs'>): string[] {
  return [msText(run.waitMs), msText(run.prepMs), msText(run.runMs)];
}

/** One line: `wait 2.0 s, prep 850 ms, run 18.0 s`, and why it waits while queued. */
export function runTimesLine(
  run: Pick<Run, 'waitMs' | 'prepMs' | 'runMs' | 'queuedReason' | 'status'>,
): string {
  const [wait, prep, ran] = runTimeCells(run);
  const why = run.queuedReason ? ` (${run.status === 'queued' ? '' : 'waited: '}${run.queuedReason})` : '';
  return `wait ${wait}, prep ${prep}, run ${ran}${why}`;
}
