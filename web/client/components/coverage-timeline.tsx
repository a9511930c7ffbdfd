/**
 * A model's interval coverage as a timeline: one bar from its start to its last ready interval, each
 * run of complete, missing, running or failed intervals a segment in its colour, as long as the time
 * it covers (a short gap still shows), with the times on hover; then the gaps themselves, newest first.
 */
import type { ModelDetail } from '../../../api/schemas/models.ts';
import { formatTime } from '../format.ts';
import { StatusBadge } from './status-badge.tsx';

export type Coverage = NonNullable<ModelDetail['coverage']>;

const STATUSES = ['complete', 'running', 'failed', 'missing'] as const;
const GAPS_LISTED = 12;

export function CoverageTimeline(props: { coverage: Coverage }) {
  const { ranges, omitted } = props.coverage;
  if (ranges.length === 0) {
    return (
      <p class="muted">No interval is ready yet: the first one ends after the model's next cron tick.</p>
    );
  }
  const from = ranges[0]!.start;
  const to = ranges[ranges.length - 1]!.end;
  const span = (r: { start: string; end: string }) => Date.parse(r.end) - Date.parse(r.start);
  const gaps = ranges.filter((r) => r.status !== 'complete').reverse();
  return (
    <div class="coverage" data-testid="coverage">
      <div
        class="coverage-bar"
        role="img"
        aria-label={`interval coverage from ${formatTime(from)} to ${formatTime(to)}`}
      >
        {ranges.map((r) => (
          <span
            class={`coverage-${r.status}`}
            data-status={r.status}
            style={`flex: ${span(r)} 0 0`}
            title={`${r.status}: ${formatTime(r.start)} – ${formatTime(r.end)}`}
          />
        ))}
      </div>
      <div class="coverage-axis muted">
        <span>{formatTime(from)}</span>
        <span>{formatTime(to)}</span>
      </div>
      <p class="coverage-legend">
        {STATUSES.map((status) => (
          <span>
            <span class={`coverage-swatch coverage-${status}`} /> {status}
          </span>
        ))}
        <span class="muted">
          {props.coverage.missingIntervals === 0
            ? 'nothing missing since the start'
            : `${props.coverage.missingIntervals} interval${props.coverage.missingIntervals === 1 ? '' : 's'} not complete`}
          {omitted > 0 ? `; ${omitted} older ranges before ${formatTime(from)} not shown` : ''}
        </span>
      </p>
      {gaps.length > 0 ? (
        <table class="data compact" data-testid="coverage-gaps">
          <thead>
            <tr>
              <th>Not complete</th>
              <th>From</th>
              <th>To</th>
            </tr>
          </thead>
          <tbody>
            {gaps.slice(0, GAPS_LISTED).map((r) => (
              <tr>
                <td>
                  <StatusBadge status={r.status} />
                </td>
                <td>{formatTime(r.start)}</td>
                <td>{formatTime(r.end)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {gaps.length > GAPS_LISTED ? <p class="muted">and {gaps.length - GAPS_LISTED} older gaps</p> : null}
    </div>
  );
}
