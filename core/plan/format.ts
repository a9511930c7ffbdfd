/**
 * A plan diff as text, in the order and words `sqlmesh plan` prints it: the environment, one
 * section per kind of change, then the models needing backfill with their date ranges (the last
 * day included, as SQLMesh shows them).
 */
import type { Interval } from '../intervals.ts';
import { formatUtc } from '../time.ts';
import type { BackfillEntry, PlanDiff } from './types.ts';

const DAY_MS = 86_400_000;

export function formatPlanDiff(diff: PlanDiff): string {
  const lines: string[] = [];
  if (diff.base !== diff.environment && diff.base !== null) {
    lines.push(`New environment \`${diff.environment}\` will be created from \`${diff.base}\``);
  } else if (diff.base === null || Object.keys(diff.previousSnapshotMap).length === 0) {
    lines.push(`\`${diff.environment}\` environment will be initialized`);
  }
  const against = diff.base ?? diff.environment;
  const sections: Array<[string, string[]]> = [
    ['Added Models', diff.added],
    ['Removed Models', diff.removed],
    ['Directly Modified', diff.directlyModified],
    ['Indirectly Modified', diff.indirectlyModified],
    ['Metadata Updated', diff.metadataOnly],
  ];
  if (sections.every(([, names]) => names.length === 0)) {
    lines.push(`No changes to plan: project files match the \`${against}\` environment`);
  } else {
    lines.push(`Summary of differences from \`${against}\`:`);
    for (const [title, names] of sections) {
      if (names.length === 0) continue;
      lines.push(`${title}:`);
      for (const name of names) lines.push(`- ${name}`);
    }
  }
  if (diff.start !== null || diff.end !== null) {
    const from = diff.start === null ? "each model's start" : formatUtc(diff.start);
    const to = diff.end === null ? 'now' : formatUtc(diff.end);
    lines.push(`Backfill range: ${from} - ${to}`);
  }
  if (diff.backfill.length > 0) {
    lines.push('Models needing backfill:');
    for (const entry of diff.backfill) lines.push(`* ${entry.model}: ${describeBackfill(entry)}`);
  } else {
    lines.push('Virtual update only: no data to backfill, the views are swapped');
  }
  return `${lines.join('\n')}\n`;
}

function describeBackfill(entry: BackfillEntry): string {
  const ranges = entry.intervals.map(formatRange).join(', ');
  switch (entry.kind) {
    case 'FULL':
      return ranges ? `[full refresh] ${ranges}` : '[full refresh]';
    case 'SEED':
      return '[insert seed file]';
    case 'VIEW':
      return '[recreate view]';
    default: {
      const batches = entry.intervals.length;
      return `[${ranges}] (${batches} ${batches === 1 ? 'batch' : 'batches'})`;
    }
  }
}

/** `2020-01-01 - 2020-01-31` for whole days (the last day included), timestamps otherwise. */
export function formatRange([start, end]: Interval): string {
  if (start % DAY_MS === 0 && end % DAY_MS === 0) {
    return `${formatUtc(start).slice(0, 10)} - ${formatUtc(end - DAY_MS).slice(0, 10)}`;
  }
  const last = end - (end % 1000 === 0 ? 1000 : 1);
  return `${formatUtc(start)} - ${formatUtc(last)}`;
}
