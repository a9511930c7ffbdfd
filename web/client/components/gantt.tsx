/**
 * A Gantt chart of things that waited and then ran (runs, or one run's model executions): one row
 * each, the wait drawn faint from when it was asked for to when it started, the run as a bar in its
 * status's colour up to its end (or to now while it goes on), all on one time axis, so a slow one is
 * the long bar and the slowest is marked.
 */
import type { Child } from 'hono/jsx';
import { formatDuration, formatTime } from '../format.ts';
import { toneOf } from './status-badge.tsx';

export interface GanttBar {
  key: string;
  label: Child;
  /** when it was asked for: its wait starts here. */
  queuedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  status: string;
  selected?: boolean;
  onSelect?: () => void;
}

const STEPS_MS = [
  100, 250, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000,
  1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000, 604_800_000,
];

function ms(iso: string | null): number | null {
  return iso ? new Date(iso).getTime() : null;
}

function tickLabel(at: number, from: number, axis: 'clock' | 'offset', step: number): string {
  if (axis === 'offset') return at === from ? '0' : `+${formatDuration(at - from)}`;
  const iso = new Date(at).toISOString();
  if (step >= 86_400_000) return iso.slice(5, 10);
  return step >= 60_000 ? iso.slice(11, 16) : iso.slice(11, 19);
}

export function Gantt(props: {
  bars: GanttBar[];
  now: number;
  /** clock times (for runs spread over hours) or offsets from the first start (one run's models). */
  axis: 'clock' | 'offset';
  testId?: string;
}) {
  const { bars, now } = props;
  const spans = bars.map((bar) => {
    const queued = ms(bar.queuedAt);
    const started = ms(bar.startedAt);
    const finished = ms(bar.finishedAt);
    const start = queued ?? started ?? finished;
    // a bar never started but finished (skipped, cancelled while queued) ends where it finished
    const end = finished ?? (start === null ? null : now);
    return { bar, queued, started, finished, start, end };
  });
  const starts = spans.flatMap((s) => (s.start === null ? [] : [s.start]));
  const ends = spans.flatMap((s) => (s.end === null ? [] : [s.end]));
  if (starts.length === 0) return <p class="muted">Nothing has started yet.</p>;
  const from = Math.min(...starts);
  const to = Math.max(from + 1_000, ...ends);
  const total = to - from;
  const pct = (at: number) => ((at - from) / total) * 100;
  const step = STEPS_MS.find((s) => total / s <= 6) ?? STEPS_MS[STEPS_MS.length - 1]!;
  const firstTick = props.axis === 'offset' ? from : Math.ceil(from / step) * step;
  const ticks: number[] = [];
  for (let at = firstTick; at <= to; at += step) ticks.push(at);
  const runMs = (s: (typeof spans)[number]) => (s.started === null ? null : (s.finished ?? now) - s.started);
  let slowest: string | null = null;
  let slowestMs = 0;
  for (const s of spans) {
    const d = runMs(s);
    if (d !== null && d > slowestMs) {
      slowestMs = d;
      slowest = s.bar.key;
    }
  }
  if (spans.length < 2) slowest = null;

  return (
    <div class="gantt" data-testid={props.testId}>
      <div class="gantt-row gantt-axis">
        <div class="gantt-label muted">{formatTime(new Date(from).toISOString())}</div>
        <div class="gantt-track">
          {ticks.map((at) => (
            <span class="gantt-tick" style={`left:${pct(at)}%`}>
              {tickLabel(at, from, props.axis, step)}
            </span>
          ))}
        </div>
        <div class="gantt-duration muted">{props.axis === 'offset' ? 'ran' : 'run time'}</div>
      </div>
      {spans.map((s) => {
        const { bar } = s;
        const duration = runMs(s);
        const wait =
          s.queued !== null && s.started !== null
            ? s.started - s.queued
            : s.queued !== null && s.finished === null
              ? now - s.queued
              : null;
        const title = [
          `${bar.status.replace(/_/g, ' ')}`,
          wait !== null ? `waited ${formatDuration(wait)}` : null,
          duration !== null ? `ran ${formatDuration(duration)}${s.finished === null ? ' so far' : ''}` : null,
          bar.startedAt ? `started ${formatTime(bar.startedAt)}` : null,
          bar.finishedAt ? `finished ${formatTime(bar.finishedAt)}` : null,
        ]
          .filter(Boolean)
          .join(', ');
        const waitEnd = s.started ?? s.finished ?? now;
        const runEnd = s.finished ?? now;
        const content = (
          <>
            <span class="gantt-label">{bar.label}</span>
            <span class="gantt-track">
              {s.queued !== null && waitEnd > s.queued ? (
                <span
                  class="gantt-wait"
                  style={`left:${pct(s.queued)}%;width:${pct(waitEnd) - pct(s.queued)}%`}
                />
              ) : null}
              {s.started !== null ? (
                <span
                  class={`gantt-bar tone-${toneOf(bar.status)}${s.finished === null ? ' ongoing' : ''}`}
                  style={`left:${pct(s.started)}%;width:${Math.max(0.4, pct(runEnd) - pct(s.started))}%`}
                />
              ) : s.finished !== null ? (
                <span class={`gantt-mark tone-${toneOf(bar.status)}`} style={`left:${pct(s.finished)}%`} />
              ) : null}
            </span>
            <span class="gantt-duration">
              {duration !== null ? formatDuration(duration) : bar.status.replace(/_/g, ' ')}
              {bar.key === slowest ? <strong class="gantt-slowest"> slowest</strong> : null}
            </span>
          </>
        );
        const rowClass = `gantt-row${bar.selected ? ' selected' : ''}`;
        // a row that selects something is a button, so the keyboard reaches it too
        return bar.onSelect ? (
          <button
            type="button"
            class={`${rowClass} selectable`}
            data-key={bar.key}
            data-status={bar.status}
            title={title}
            aria-pressed={bar.selected ? 'true' : 'false'}
            onClick={bar.onSelect}
          >
            {content}
          </button>
        ) : (
          <div class={rowClass} data-key={bar.key} data-status={bar.status} title={title}>
            {content}
          </div>
        );
      })}
    </div>
  );
}
