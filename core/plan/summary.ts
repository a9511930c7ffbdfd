/**
 * A plan's summary as `sluice plan` prints it: the diff in `sqlmesh plan`'s words (format.ts), then
 * a table of the changed models with their change and how many batches their backfill runs. The
 * plan's artifacts keep the same text.
 */
import { formatTable } from '../text-table.ts';

/** The parts of a plan diff the table reads (the API's view of a plan has them too). */
export interface SummarisedDiff {
  added: readonly string[];
  removed: readonly string[];
  directlyModified: readonly string[];
  indirectlyModified: readonly string[];
  metadataOnly: readonly string[];
  backfill: ReadonlyArray<{ model: string; execution: string; intervals: readonly unknown[] }>;
}

/** `text` is the diff as format.ts words it (`formatPlanDiff`). */
export function planSummary(text: string, diff: SummarisedDiff): string {
  const change = new Map<string, string>();
  for (const m of diff.added) change.set(m, 'added');
  for (const m of diff.removed) change.set(m, 'removed');
  for (const m of diff.directlyModified) change.set(m, 'directly modified');
  for (const m of diff.indirectlyModified) change.set(m, 'indirectly modified');
  for (const m of diff.metadataOnly) change.set(m, 'metadata only');
  const backfill = new Map(diff.backfill.map((b) => [b.model, b]));
  const rows = [...change.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([model, what]) => {
      const entry = backfill.get(model);
      const batches = entry
        ? entry.execution === 'single'
          ? '1 (single)'
          : String(entry.intervals.length)
        : '-';
      return [model, what, batches];
    });
  const lines = [text.trimEnd()];
  if (rows.length > 0) lines.push('', formatTable(['MODEL', 'CHANGE', 'BACKFILL BATCHES'], rows));
  return lines.join('\n');
}
