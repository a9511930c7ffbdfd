/**
 * The Temporal SDK's log entries (workers, bundler) as `sluice dev` prints them: in the same shape as
 * its other lines, coloured only when they are (cli/dev-output/colors.ts).
 */
import { inspect } from 'node:util';
import type { LogEntry } from '@temporalio/worker';
import type { Palette } from './colors.ts';
import { clock } from './format.ts';

export function formatSdkLog(entry: LogEntry, colors: Palette): string {
  const time = clock(Number(entry.timestampNanos / 1_000_000n));
  const level =
    entry.level === 'ERROR'
      ? colors.red('error')
      : entry.level === 'WARN'
        ? colors.yellow('warn')
        : colors.dim(entry.level.toLowerCase());
  const meta =
    entry.meta === undefined || Object.keys(entry.meta).length === 0
      ? ''
      : ` ${inspect(entry.meta, { colors: colors.enabled, depth: 4, breakLength: 120 })}`;
  return `${colors.dim(time)} ${level} ${entry.message}${meta}`;
}
