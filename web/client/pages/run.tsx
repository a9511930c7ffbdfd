/**
 * One run: what it is (trigger, who asked, when it was scheduled, started and finished, how long it
 * waited and ran), each model's outcome with its executions on a timeline, and a model's log
 * (rendered SQL, statements with durations, notices). While the run goes on, the page follows the
 * API's event stream and says when that stream is lost. A running run can be cancelled.
 */
import { useEffect } from 'hono/jsx/dom';
import { ApiFailure, api, read } from '../api.ts';
import { Gantt } from '../components/gantt.tsx';
import { PageHeader, Pending } from '../components/page-header.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { TemporalLink } from '../components/temporal-link.tsx';
import { elapsedMs, formatDuration, formatTime } from '../format.ts';
import { useState } from '../hooks.ts';
import { useLive } from '../live.ts';
import { usePermission } from '../permissions.ts';
import { href, Link, navigate } from '../router.tsx';
import type { PageProps } from '../routes.ts';
import { type Execution, followRun, type Run, type StreamState } from '../run-stream.ts';

const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'skipped', 'terminated']);

function useNow(ms = 1_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

function intervalText(e: Execution): string {
  if (!e.interval) return '';
  const start = e.interval.start.slice(0, 16).replace('T', ' ');
  const end = e.interval.end.slice(0, 16).replace('T', ' ');
  return `${start} → ${end}`;
}

/** The run's record and executions: loaded once, then kept current by the event stream. */
function useFollowedRun(id: string) {
  const [run, setRun] = useState<Run | null>(null);
  const [executions, setExecutions] = useState<Map<string, Execution>>(new Map());
  const [error, setError] = useState<ApiFailure | null>(null);
  const [stream, setStream] = useState<StreamState>({ kind: 'connecting' });
  const [updatedAt, setUpdatedAt] = useState<number | null>(null);
  useEffect(() => {
    let stop: (() => void) | null = null;
    let cancelled = false;
    const upsert = (e: Execution) =>
      setExecutions((before) => {
        const next = new Map(before);
        next.set(e.id, e);
        return next;
      });
    let retry: ReturnType<typeof setTimeout> | undefined;
    let attempts = 0;
    const load = () =>
      read(api.runs[':id'].$get({ param: { id } }))
        .then(({ executions: list, ...record }) => {
          if (cancelled) return;
          setError(null);
          setRun(record);
          setExecutions(new Map(list.map((e) => [e.id, e])));
          setUpdatedAt(Date.now());
          if (FINAL.has(record.status)) {
            setStream({ kind: 'ended' });
            return;
          }
          stop = followRun(id, {
            run: (r) => {
              setRun(r);
              setUpdatedAt(Date.now());
            },
            execution: (e) => {
              upsert(e);
              setUpdatedAt(Date.now());
            },
            state: setStream,
          });
        })
        .catch((err: unknown) => {
          if (cancelled) return;
          setError(err instanceof ApiFailure ? err : new ApiFailure(0, 'client', String(err)));
          // a run just asked for is recorded once its workflow starts, and a lost API comes back:
          // both are asked again, less often as time goes on
          attempts++;
          retry = setTimeout(load, Math.min(1_000 * attempts, 5_000));
        });
    void load();
    return () => {
      cancelled = true;
      clearTimeout(retry);
      stop?.();
    };
  }, [id]);
  return { run, executions: [...executions.values()], error, stream, updatedAt };
}

function StreamNote(props: { stream: StreamState; now: number }) {
  const { stream, now } = props;
  if (stream.kind === 'ended') return null;
  if (stream.kind === 'lost')
    return (
      <p class="stream-note stream-lost" role="alert" data-testid="stream-state" data-state="lost">
        Live updates lost {formatDuration(now - stream.since)} ago: {stream.reason}. Trying again in{' '}
        {formatDuration(stream.retryInMs)}; the figures below may be out of date.
      </p>
    );
  return (
    <p class="stream-note" role="status" data-testid="stream-state" data-state={stream.kind}>
      {stream.kind === 'live' ? '● Following live' : 'Connecting to the live stream…'}
    </p>
  );
}

function CancelButton(props: { run: Run }) {
  const { run } = props;
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<string | null>(null);
  const may = usePermission('operate', run.environment);
  if (FINAL.has(run.status)) return null;
  const reason =
    may.allowed === false
      ? may.reason
      : run.planId
        ? `this run is the backfill of plan ${run.planId}: cancel the plan instead`
        : run.cancelledBy
          ? `cancellation asked by ${run.cancelledBy}`
          : may.allowed === null
            ? 'checking what this token may do…'
            : null;
  return (
    <>
      <button
        type="button"
        class="danger"
        data-testid="cancel-run"
        disabled={busy || reason !== null}
        title={reason ?? 'stop its statements on the warehouse; models not started stay unrun'}
        onClick={async () => {
          if (!confirm(`Cancel run ${run.id}? Its statements are stopped and rolled back.`)) return;
          setBusy(true);
          try {
            const answer = await read(api.runs[':id'].cancel.$post({ param: { id: run.id } }));
            setOutcome(`cancellation asked by ${answer.cancelledBy}`);
          } catch (err) {
            setOutcome((err as Error).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        {busy ? 'Cancelling…' : 'Cancel run'}
      </button>
      {outcome ? <span class="muted">{outcome}</span> : null}
    </>
  );
}

function ExecutionLog(props: { runId: string; execution: Execution }) {
  const { execution } = props;
  // loaded again whenever the execution's record changes (a statement done, an end)
  const key = `${execution.id} ${execution.status} ${execution.finishedAt ?? ''} ${execution.hasLog}`;
  const live = useLive(
    () =>
      read(api.runs[':id'].executions[':eid'].log.$get({ param: { id: props.runId, eid: execution.id } })),
    key,
    FINAL.has(execution.status) ? 600_000 : 3_000,
  );
  const log = live.data;
  return (
    <section class="run-log" data-testid="execution-log" data-execution={execution.id}>
      <h2>
        Log of {execution.model} <span class="muted">{intervalText(execution)}</span>{' '}
        <StatusBadge status={execution.status} />
      </h2>
      {log === undefined ? (
        <Pending live={live} />
      ) : (
        <>
          {log.error ? <pre class="run-error">{log.error}</pre> : null}
          {log.skipReason ? <p class="muted">skipped: {log.skipReason}</p> : null}
          <h3>Rendered SQL</h3>
          {log.renderedSql ? (
            <pre data-testid="rendered-sql">{log.renderedSql}</pre>
          ) : (
            <p class="muted">
              {FINAL.has(log.status) ? 'No rendered SQL was recorded.' : 'Recorded when the execution ends.'}
            </p>
          )}
          <h3>Statements</h3>
          {log.statements.length === 0 ? (
            <p class="muted">{FINAL.has(log.status) ? 'No statement ran.' : 'None finished yet.'}</p>
          ) : (
            <table class="data" data-testid="statements">
              <thead>
                <tr>
                  <th class="num">#</th>
                  <th>Statement</th>
                  <th class="num">Duration</th>
                  <th class="num">Rows</th>
                </tr>
              </thead>
              <tbody>
                {log.statements.map((s, i) => (
                  <tr>
                    <td class="num">{i + 1}</td>
                    <td>
                      <pre class="statement">{s.sql}</pre>
                    </td>
                    <td class="num">{formatDuration(s.durationMs)}</td>
                    <td class="num">{s.rowsAffected ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h3>Notices</h3>
          {log.notices.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <pre data-testid="notices">{log.notices.join('\n')}</pre>
          )}
        </>
      )}
    </section>
  );
}

export function RunPage(props: PageProps) {
  const id = props.params.id!;
  const selected = props.query.get('execution');
  const { run, executions, error, stream, updatedAt } = useFollowedRun(id);
  const now = useNow();
  if (run === null) {
    return (
      <section>
        <PageHeader title={`Run ${id}`} />
        {error?.status === 404 ? (
          <p class="muted" role="status" data-testid="run-not-yet">
            No run {id} is recorded yet. A run just asked for appears once the environment's workflow starts
            it (and not at all when its models had nothing to do); this page keeps looking.
          </p>
        ) : error ? (
          <p class="error" role="alert">
            {error.message} Trying again.
          </p>
        ) : (
          <p class="muted">Loading…</p>
        )}
      </section>
    );
  }
  const sorted = [...executions].sort(
    (a, b) =>
      (a.startedAt ?? a.queuedAt).localeCompare(b.startedAt ?? b.queuedAt) ||
      a.model.localeCompare(b.model) ||
      a.attempt - b.attempt,
  );
  const started = new Set(executions.map((e) => e.model));
  const notStarted = run.models.filter((m) => !started.has(m));
  const select = (eid: string | null) => {
    const query = new URLSearchParams(props.query);
    if (eid === null || eid === selected) query.delete('execution');
    else query.set('execution', eid);
    const search = query.toString();
    navigate(`${href('runs', id)}${search ? `?${search}` : ''}`, { replace: true });
  };
  const chosen = sorted.find((e) => e.id === selected) ?? null;
  const wait = run.waitMs ?? elapsedMs(run.scheduledAt, run.readyAt ?? run.finishedAt, now);
  return (
    <section>
      <PageHeader
        title={
          <>
            Run <span class="mono">{run.id}</span>{' '}
            <span data-testid="run-status">
              <StatusBadge status={run.status} />
            </span>
          </>
        }
        actions={
          <>
            <TemporalLink workflowId={run.id} label="Workflow in Temporal" />
            <CancelButton run={run} />
          </>
        }
      >
        <StreamNote stream={stream} now={now} />
        <p class="freshness" data-testid="freshness">
          {updatedAt ? `Updated ${formatDuration(Math.max(0, now - updatedAt))} ago` : ''}
        </p>
      </PageHeader>
      <dl class="facts" data-testid="run-facts">
        <dt>Environment</dt>
        <dd>
          <Link to={href('environments', run.environment)}>{run.environment}</Link> ·{' '}
          <Link to={`/runs?environment=${encodeURIComponent(run.environment)}`}>its runs</Link>
        </dd>
        <dt>Trigger</dt>
        <dd>
          {run.trigger}
          {run.triggeredBy ? `, by ${run.triggeredBy}` : ''}
          {run.planId ? (
            <>
              {' '}
              (plan <Link to={href('plans', run.planId)}>{run.planId}</Link>)
            </>
          ) : null}
        </dd>
        <dt>Scheduled</dt>
        <dd>{formatTime(run.scheduledAt)}</dd>
        <dt>Ready</dt>
        <dd data-testid="run-wait">
          {formatTime(run.readyAt)}
          {run.readyAt || !FINAL.has(run.status) ? ` (waited ${formatDuration(wait)})` : ''}
          {run.queuedReason ? <span class="muted"> · {run.queuedReason}</span> : null}
        </dd>
        <dt>First statement</dt>
        <dd>
          {formatTime(run.firstStatementAt)}
          {run.prepMs !== null ? ` (prep ${formatDuration(run.prepMs)})` : ''}
        </dd>
        <dt>Finished</dt>
        <dd>
          {formatTime(run.finishedAt)}
          {run.firstStatementAt
            ? ` (${run.finishedAt ? 'ran' : 'running for'} ${formatDuration(run.runMs ?? elapsedMs(run.firstStatementAt, run.finishedAt, now))})`
            : ''}
        </dd>
        <dt>Models</dt>
        <dd>{run.models.length}</dd>
        {run.cancelledBy ? (
          <>
            <dt>Cancelled by</dt>
            <dd>{run.cancelledBy}</dd>
          </>
        ) : null}
        {run.skipReason ? (
          <>
            <dt>Skipped</dt>
            <dd>{run.skipReason}</dd>
          </>
        ) : null}
      </dl>
      {run.error ? <pre class="run-error">{run.error}</pre> : null}

      <h2>Timeline</h2>
      <Gantt
        axis="offset"
        now={now}
        testId="execution-timeline"
        bars={sorted.map((e) => ({
          key: e.id,
          label: (
            <>
              {e.model}
              {e.interval ? <span class="muted"> {intervalText(e)}</span> : null}
              {e.attempt > 1 ? <span class="muted"> #{e.attempt}</span> : null}
            </>
          ),
          queuedAt: e.queuedAt,
          startedAt: e.startedAt,
          finishedAt: e.finishedAt,
          status: e.status,
          selected: e.id === selected,
          onSelect: () => select(e.id),
        }))}
      />

      <h2>Models</h2>
      <table class="data" data-testid="executions">
        <thead>
          <tr>
            <th>Model</th>
            <th>Interval</th>
            <th>Status</th>
            <th class="num">Wait</th>
            <th class="num">Duration</th>
            <th class="num">Rows</th>
            <th>Executor</th>
            <th class="num">Attempt</th>
            <th>Error</th>
            <th>Log</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((e) => (
            <tr data-model={e.model} data-status={e.status} class={e.id === selected ? 'selected' : ''}>
              <td>
                <Link to={href('environments', e.environment, 'models', e.model)}>{e.model}</Link>
              </td>
              <td class="muted">{intervalText(e) || '—'}</td>
              <td>
                <StatusBadge status={e.status} title={e.skipReason ?? undefined} />
              </td>
              <td class="num">{formatDuration(e.waitMs ?? elapsedMs(e.queuedAt, e.startedAt, now))}</td>
              <td class="num">
                {formatDuration(e.durationMs ?? (e.startedAt ? elapsedMs(e.startedAt, null, now) : null))}
              </td>
              <td class="num">{e.rowsAffected ?? '—'}</td>
              <td>{e.executor ?? '—'}</td>
              <td class="num">{e.attempt}</td>
              <td class="error run-error-cell" title={e.error ?? undefined}>
                {e.error ?? e.skipReason ?? ''}
              </td>
              <td>
                <button type="button" class="link-button" onClick={() => select(e.id)}>
                  {e.id === selected ? 'hide' : 'show'}
                </button>
              </td>
            </tr>
          ))}
          {notStarted.map((model) => (
            <tr data-model={model} data-status="not started">
              <td>
                <Link to={href('environments', run.environment, 'models', model)}>{model}</Link>
              </td>
              <td class="muted">—</td>
              <td>
                <StatusBadge status={FINAL.has(run.status) ? 'not run' : 'waiting'} />
              </td>
              <td colSpan={7} />
            </tr>
          ))}
        </tbody>
      </table>
      {chosen ? <ExecutionLog runId={run.id} execution={chosen} /> : null}
    </section>
  );
}
