/** A run's wait, prep and run time as the CLI shows them (`1.2 s`, `-` while unknown). */
import type { Run } from './api-client.ts';

/** `850 ms`, `12.3 s`, `4m 05s`; `-` when unknown. */
export function msText(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
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
