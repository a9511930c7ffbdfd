/** How far a plan's backfill got: batches done of total as a bar, and models done of total. */
import type { BackfillProgress as Progress } from '../../../core/plan/progress.ts';

export function BackfillProgress(props: { progress: Progress }) {
  const { models, batches } = props.progress;
  if (batches.total === 0) return <span class="muted">no backfill</span>;
  const percent = Math.round((100 * batches.done) / batches.total);
  return (
    <span class="progress" title={`${percent}% of the backfill's batches succeeded`}>
      <span class="progress-bar">
        <span style={`width: ${percent}%`} />
      </span>
      <span data-testid="backfill-progress">
        {models.done}/{models.total} models, {batches.done}/{batches.total} batches
      </span>
    </span>
  );
}
