/**
 * The runs of an environment (or of all), newest first: on a timeline, where the wait before each
 * run and its length show at a glance, and in a table with trigger, status, wait and run time, one
 * page at a time. Selecting a run draws its model executions on their own timeline, so the model
 * that made it slow stands out. Filters and the selection live in the URL, so a view can be shared.
 */

import { api, read } from '../api.ts';
import { Gantt } from '../components/gantt.tsx';
import { PageHeader, Pending } from '../components/page-header.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { TemporalLink } from '../components/temporal-link.tsx';
import { elapsedMs, formatDuration, formatRelative, formatTime } from '../format.ts';
import { useState } from '../hooks.ts';
import { useLive } from '../live.ts';
import { href, Link, navigate } from '../router.tsx';
import type { PageProps } from '../routes.ts';
import { RUN_STATUS_VALUES, RUN_TRIGGER_VALUES } from '../run-values.ts';

const PAGE_SIZE = '25';

function withQuery(query: URLSearchParams, changes: Record<string, string | null>): string {
  const next = new URLSearchParams(query);
  for (const [name, value] of Object.entries(changes)) {
    if (value === null || value === '') next.delete(name);
    else next.set(name, value);
  }
  const search = next.toString();
  return `/runs${search ? `?${search}` : ''}`;
}

function SelectedRun(props: { id: string }) {
  const live = useLive(() => read(api.runs[':id'].$get({ param: { id: props.id } })), props.id);
  const now = Date.now();
  const run = live.data;
  return (
    <section class="runs-selected" data-testid="selected-run">
      <h2>
        Models of <Link to={href('runs', props.id)}>{props.id}</Link>{' '}
        {run ? <StatusBadge status={run.status} /> : null}
      </h2>
      {run === undefined ? (
        <Pending live={live} />
      ) : run.executions.length === 0 ? (
        <p class="muted">No model has started in this run.</p>
      ) : (
        <Gantt
          axis="offset"
          now={now}
          testId="selected-run-timeline"
          bars={[...run.executions]
            .sort((a, b) => (a.startedAt ?? a.queuedAt).localeCompare(b.startedAt ?? b.queuedAt))
            .map((e) => ({
              key: e.id,
              label: (
                <Link to={`${href('runs', props.id)}?execution=${encodeURIComponent(e.id)}`}>{e.model}</Link>
              ),
              queuedAt: e.queuedAt,
              startedAt: e.startedAt,
              finishedAt: e.finishedAt,
              status: e.status,
            }))}
        />
      )}
    </section>
  );
}

export function RunsPage(props: PageProps) {
  const { query } = props;
  const environment = query.get('environment') ?? '';
  const status = query.get('status') ?? '';
  const trigger = query.get('trigger') ?? '';
  const cursor = query.get('cursor') ?? '';
  const limit = query.get('limit') ?? PAGE_SIZE;
  const selected = query.get('run');
  // the cursors of the pages before this one, so "Newer" goes back without the API walking backwards
  const [previous, setPrevious] = useState<string[]>([]);

  const environments = useLive(() => read(api.environments.$get()), 'environments', 60_000);
  const live = useLive(
    () =>
      read(
        api.runs.$get({
          query: {
            limit,
            ...(environment ? { environment } : {}),
            ...(status ? { status } : {}),
            ...(trigger ? { trigger } : {}),
            ...(cursor ? { cursor } : {}),
          },
        }),
      ),
    `${environment} ${status} ${trigger} ${cursor} ${limit}`,
  );
  const now = Date.now();
  const page = live.data;
  const filter = (name: string) => (event: Event) => {
    setPrevious([]);
    navigate(
      withQuery(query, { [name]: (event.target as HTMLSelectElement).value, cursor: null, run: null }),
    );
  };
  const select = (id: string) =>
    navigate(withQuery(query, { run: id === selected ? null : id }), { replace: true });

  return (
    <section>
      <PageHeader title={environment ? `Runs of ${environment}` : 'Runs'} live={live}>
        <form class="toolbar" data-testid="run-filters" onSubmit={(e: Event) => e.preventDefault()}>
          <label>
            Environment
            <select name="environment" value={environment} onChange={filter('environment')}>
              <option value="">all</option>
              {(environments.data?.items ?? []).map((env) => (
                <option value={env.name} selected={env.name === environment}>
                  {env.name}
                </option>
              ))}
              {environment && !environments.data?.items.some((e) => e.name === environment) ? (
                <option value={environment} selected>
                  {environment}
                </option>
              ) : null}
            </select>
          </label>
          <label>
            Status
            <select name="status" value={status} onChange={filter('status')}>
              <option value="">any</option>
              {RUN_STATUS_VALUES.map((s) => (
                <option value={s} selected={s === status}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label>
            Trigger
            <select name="trigger" value={trigger} onChange={filter('trigger')}>
              <option value="">any</option>
              {RUN_TRIGGER_VALUES.map((t) => (
                <option value={t} selected={t === trigger}>
                  {t}
                </option>
              ))}
            </select>
          </label>
        </form>
      </PageHeader>
      {page === undefined ? (
        <Pending live={live} />
      ) : page.items.length === 0 ? (
        <p class="empty">
          {cursor ? 'No older runs.' : 'No run matches.'}{' '}
          {environment && !status && !trigger && !cursor
            ? 'Runs appear here once the environment’s schedule is due, or when someone runs it now.'
            : ''}
        </p>
      ) : (
        <>
          <h2>Timeline</h2>
          <Gantt
            axis="clock"
            now={now}
            testId="runs-timeline"
            bars={page.items.map((run) => ({
              key: run.id,
              label: (
                <>
                  {environment ? '' : <span class="muted">{run.environment} </span>}
                  {run.trigger} · {formatTime(run.scheduledAt).slice(5, 16)}
                </>
              ),
              queuedAt: run.scheduledAt,
              startedAt: run.readyAt ?? run.startedAt,
              finishedAt: run.finishedAt,
              status: run.status,
              selected: run.id === selected,
              onSelect: () => select(run.id),
            }))}
          />
          {selected ? <SelectedRun id={selected} /> : <p class="muted">Select a run to see its models.</p>}
          <h2>Runs</h2>
          <table class="data" data-testid="runs">
            <thead>
              <tr>
                <th>Run</th>
                {environment ? null : <th>Environment</th>}
                <th>Trigger</th>
                <th>Status</th>
                <th>Scheduled</th>
                <th class="num">Wait</th>
                <th class="num">Prep</th>
                <th class="num">Run time</th>
                <th class="num">Models</th>
                <th>By</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((run) => (
                <tr data-run={run.id} data-status={run.status} class={run.id === selected ? 'selected' : ''}>
                  <td>
                    <Link to={href('runs', run.id)} class="mono">
                      {run.id}
                    </Link>{' '}
                    <TemporalLink workflowId={run.id} />
                  </td>
                  {environment ? null : (
                    <td>
                      <Link to={withQuery(query, { environment: run.environment, cursor: null, run: null })}>
                        {run.environment}
                      </Link>
                    </td>
                  )}
                  <td>{run.trigger}</td>
                  <td>
                    <StatusBadge status={run.status} title={run.error ?? run.skipReason ?? undefined} />
                  </td>
                  <td title={formatTime(run.scheduledAt)}>{formatRelative(run.scheduledAt, now)}</td>
                  <td class="num" title={run.queuedReason ?? undefined}>
                    {run.waitMs !== null
                      ? formatDuration(run.waitMs)
                      : run.finishedAt === null
                        ? formatDuration(elapsedMs(run.scheduledAt, null, now))
                        : '—'}
                  </td>
                  <td class="num">{run.prepMs !== null ? formatDuration(run.prepMs) : '—'}</td>
                  <td class="num">
                    {run.runMs !== null
                      ? formatDuration(run.runMs)
                      : formatDuration(elapsedMs(run.firstStatementAt, run.finishedAt, now))}
                  </td>
                  <td class="num">{run.models.length}</td>
                  <td>{run.triggeredBy ?? (run.trigger === 'schedule' ? 'schedule' : '—')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav class="pager" data-testid="pager">
            <button
              type="button"
              disabled={!cursor}
              onClick={() => {
                const back = previous[previous.length - 1] ?? null;
                setPrevious(previous.slice(0, -1));
                navigate(withQuery(query, { cursor: back, run: null }));
              }}
            >
              ← Newer
            </button>
            <button
              type="button"
              disabled={page.nextCursor === null}
              onClick={() => {
                setPrevious([...previous, cursor]);
                navigate(withQuery(query, { cursor: page.nextCursor, run: null }));
              }}
            >
              Older →
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
