/**
 * An environment's models as a table: filtered by name, kind, status and pause, sorted by any
 * column, each row selectable for "run now" and "restate", with its own pause or resume button.
 */
import { formatDuration, formatRelative, formatTime } from '../format.ts';
import { useState } from '../hooks.ts';
import {
  type ModelRow,
  type ModelView,
  missingOf,
  type SortColumn,
  statusOf,
  viewModels,
} from '../model-rows.ts';
import { href, Link } from '../router.tsx';
import { StatusBadge } from './status-badge.tsx';

/** Whether the token may pause, resume and run: the API's refusal as the reason when not. */
export interface Ability {
  allowed: boolean;
  reason: string | null;
}

/**
 * Rows drawn at first, and added by each "show more": a 2,000-model environment's table would
 * otherwise take the browser a second or more to draw on every refresh.
 */
export const ROWS_AT_A_TIME = 100;

const COLUMNS: { column: SortColumn; label: string; num?: boolean; title?: string }[] = [
  { column: 'name', label: 'Model' },
  { column: 'kind', label: 'Kind' },
  { column: 'cron', label: 'Cron (time zone)' },
  { column: 'interval', label: 'Interval' },
  { column: 'next', label: 'Next run' },
  { column: 'status', label: 'Last execution' },
  { column: 'duration', label: 'Duration', num: true },
  {
    column: 'missing',
    label: 'Missing',
    num: true,
    title: 'intervals since the model’s start that are ready and not complete',
  },
  { column: 'paused', label: 'Paused / blocked' },
];

export function ModelFilters(props: {
  models: readonly ModelRow[];
  view: ModelView;
  onChange: (view: ModelView) => void;
}) {
  const { view } = props;
  const kinds = [...new Set(props.models.map((m) => m.kind))].sort();
  const statuses = [...new Set(props.models.map(statusOf))].sort();
  const value = (event: Event) => (event.target as HTMLInputElement | HTMLSelectElement).value;
  return (
    <div class="toolbar" data-testid="model-filters">
      <label>
        Name contains
        <input
          type="search"
          name="q"
          value={view.q}
          placeholder="e.g. orders"
          onInput={(event: Event) => props.onChange({ ...view, q: value(event) })}
        />
      </label>
      <label>
        Kind
        <select
          name="kind"
          value={view.kind}
          onChange={(e: Event) => props.onChange({ ...view, kind: value(e) })}
        >
          <option value="">any</option>
          {kinds.map((k) => (
            <option key={k} value={k} selected={k === view.kind}>
              {k}
            </option>
          ))}
        </select>
      </label>
      <label>
        Last status
        <select
          name="status"
          value={view.status}
          onChange={(e: Event) => props.onChange({ ...view, status: value(e) })}
        >
          <option value="">any</option>
          {statuses.map((s) => (
            <option key={s} value={s} selected={s === view.status}>
              {s.replace(/_/g, ' ')}
            </option>
          ))}
        </select>
      </label>
      <label>
        Paused
        <select
          name="paused"
          value={view.paused}
          onChange={(e: Event) => props.onChange({ ...view, paused: value(e) })}
        >
          <option value="">any</option>
          <option value="yes" selected={view.paused === 'yes'}>
            paused or blocked
          </option>
          <option value="no" selected={view.paused === 'no'}>
            neither
          </option>
        </select>
      </label>
    </div>
  );
}

export function ModelsTable(props: {
  env: string;
  models: readonly ModelRow[];
  view: ModelView;
  now: number;
  selected: readonly string[];
  operate: Ability;
  onView: (view: ModelView) => void;
  onSelect: (selected: string[]) => void;
  onPause: (model: string) => void;
  onResume: (model: string) => void;
}) {
  const { env, view, now, operate } = props;
  const [limit, setLimit] = useState(ROWS_AT_A_TIME);
  const matching = viewModels(props.models, view);
  const rows = matching.length > limit ? matching.slice(0, limit) : matching;
  const selected = new Set(props.selected);
  const allShownSelected = rows.length > 0 && rows.every((m) => selected.has(m.name));
  const sortBy = (column: SortColumn) =>
    props.onView({ ...view, sort: column, desc: view.sort === column ? !view.desc : false });
  if (props.models.length === 0) {
    return <p class="empty">This environment has no models. Apply a plan to it first.</p>;
  }
  return (
    <div class="models">
      <table class="data models-table" data-testid="models">
        <thead>
          <tr>
            <th>
              <input
                type="checkbox"
                aria-label="select every model shown"
                checked={allShownSelected}
                onChange={() =>
                  props.onSelect(
                    allShownSelected
                      ? props.selected.filter((name) => !rows.some((m) => m.name === name))
                      : [...new Set([...props.selected, ...rows.map((m) => m.name)])],
                  )
                }
              />
            </th>
            {COLUMNS.map((c) => (
              <th
                key={c.column}
                class={`sortable${c.num ? ' num' : ''}`}
                title={c.title ?? `sort by ${c.label.toLowerCase()}`}
                aria-sort={view.sort === c.column ? (view.desc ? 'descending' : 'ascending') : 'none'}
                data-sort={c.column}
                onClick={() => sortBy(c.column)}
              >
                {c.label}
                {view.sort === c.column ? (view.desc ? ' ▼' : ' ▲') : ''}
              </th>
            ))}
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((m) => {
            const last = m.lastExecution;
            const missing = missingOf(m);
            return (
              <tr key={m.name} data-model={m.name} class={selected.has(m.name) ? 'selected' : ''}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`select ${m.name}`}
                    checked={selected.has(m.name)}
                    onChange={() =>
                      props.onSelect(
                        selected.has(m.name)
                          ? props.selected.filter((name) => name !== m.name)
                          : [...props.selected, m.name],
                      )
                    }
                  />
                </td>
                <td>
                  <Link to={href('environments', env, 'models', m.name)}>{m.name}</Link>
                </td>
                <td>{m.kind}</td>
                <td class="mono">
                  {m.cron} <span class="muted">({m.cronTz})</span>
                  {m.overScheduled ? (
                    <div data-over-scheduled>
                      <StatusBadge status="over_scheduled" title={m.overScheduled.message} />
                    </div>
                  ) : null}
                </td>
                <td>{m.intervalUnit}</td>
                <td data-column="next" class="nowrap">
                  {m.nextRun && (m.paused || m.blockedReason) ? (
                    <span class="muted" title={`its cron's next tick is ${formatTime(m.nextRun)}`}>
                      held
                    </span>
                  ) : m.nextRun ? (
                    <span title={formatTime(m.nextRun)}>{formatRelative(m.nextRun, now)}</span>
                  ) : (
                    <span class="muted">{m.scheduled ? '—' : 'not scheduled'}</span>
                  )}
                </td>
                <td data-column="status">
                  {last && !m.running ? (
                    <Link to={href('runs', last.runId)} title={last.error ?? `in run ${last.runId}`}>
                      <StatusBadge status={last.status} />
                    </Link>
                  ) : (
                    <StatusBadge status={statusOf(m)} />
                  )}
                  {last?.error && !m.running ? (
                    <div class="error model-error" title={last.error}>
                      {last.error}
                    </div>
                  ) : null}
                </td>
                <td class="num">{formatDuration(last?.durationMs)}</td>
                <td class="num" data-column="missing">
                  {missing === null ? '—' : missing}
                </td>
                <td data-column="paused">
                  {m.paused ? (
                    <span title={`paused by ${m.paused.actor} at ${formatTime(m.paused.at)}`}>
                      <StatusBadge status="paused" /> {m.paused.reason ?? 'no reason given'}{' '}
                      <span class="muted">({m.paused.actor})</span>
                    </span>
                  ) : m.blockedReason ? (
                    <span>
                      <StatusBadge status="blocked" /> <span class="muted">{m.blockedReason}</span>
                    </span>
                  ) : (
                    '—'
                  )}
                </td>
                <td>
                  {m.paused ? (
                    <button
                      type="button"
                      data-action="resume-model"
                      disabled={!operate.allowed}
                      title={operate.reason ?? `resume ${m.name}; it catches up every missed interval`}
                      onClick={() => props.onResume(m.name)}
                    >
                      Resume
                    </button>
                  ) : (
                    <button
                      type="button"
                      data-action="pause-model"
                      disabled={!operate.allowed}
                      title={operate.reason ?? `pause ${m.name} and its downstream`}
                      onClick={() => props.onPause(m.name)}
                    >
                      Pause
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {rows.length === 0 ? <p class="empty">No model matches these filters.</p> : null}
      {matching.length > rows.length ? (
        <p class="more-rows" data-testid="more-models">
          Showing {rows.length} of {matching.length} models.{' '}
          <button type="button" onClick={() => setLimit(limit + ROWS_AT_A_TIME)}>
            Show {Math.min(ROWS_AT_A_TIME, matching.length - rows.length)} more
          </button>{' '}
          <button type="button" onClick={() => setLimit(matching.length)}>
            Show all
          </button>
        </p>
      ) : null}
    </div>
  );
}
