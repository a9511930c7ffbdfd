/**
 * One model as an environment holds it: what it is (header and query, the SQL its last batch ran),
 * which snapshot each environment holds, what it reads and what reads it, its interval coverage
 * since its start, and its executions with duration, rows, executor, attempt and error.
 */
import { api, read } from '../api.ts';
import { CoverageTimeline } from '../components/coverage-timeline.tsx';
import { PageHeader, Pending } from '../components/page-header.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { TemporalLink } from '../components/temporal-link.tsx';
import { formatDuration, formatRelative, formatTime } from '../format.ts';
import { useLive } from '../live.ts';
import { href, Link } from '../router.tsx';
import type { PageProps } from '../routes.ts';

/** Header fields shown as facts above the rest, in this order; the rest follow as written. */
const FIRST = [
  'kind',
  'cron',
  'cronTz',
  'intervalUnit',
  'start',
  'end',
  'owner',
  'description',
  'gateway',
  'enabled',
];
const LEFT_OUT = new Set(['name', 'schema', 'table']);

function showValue(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(showValue).join(', ');
  if (typeof value === 'object' && 'raw' in (value as object)) {
    const { raw, ms } = value as { raw: string; ms: number };
    return raw
      ? `${raw} (${formatTime(new Date(ms).toISOString())})`
      : formatTime(new Date(ms).toISOString());
  }
  if (typeof value === 'object' && 'name' in (value as object) && !Array.isArray(value)) {
    const { name, ...rest } = value as { name: string };
    const args = Object.entries(rest).map(
      ([k, v]) => `${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`,
    );
    return args.length > 0 ? `${name} (${args.join(', ')})` : name;
  }
  return JSON.stringify(value);
}

function headerFields(header: Record<string, unknown>): Array<[string, string]> {
  const keys = [
    ...FIRST.filter((k) => k in header),
    ...Object.keys(header).filter((k) => !FIRST.includes(k) && !LEFT_OUT.has(k)),
  ];
  return keys
    .filter((k) => {
      const v = header[k];
      return v !== undefined && !(Array.isArray(v) && v.length === 0);
    })
    .map((k) => [k, showValue(header[k])]);
}

export function ModelPage(props: PageProps) {
  const env = props.params.env!;
  const name = props.params.model!;
  const live = useLive(
    () => read(api.environments[':env'].models[':name'].$get({ param: { env, name } })),
    `model ${env} ${name}`,
  );
  const model = live.data;
  const now = Date.now();
  return (
    <section>
      <PageHeader
        title={
          <>
            <Link to={href('environments', env)}>{env}</Link> / {name}
          </>
        }
        live={live}
      >
        {model ? (
          <p class="muted">
            {model.kind} · <code>{model.cron}</code>
            {model.cronTz !== 'UTC' ? ` (${model.cronTz})` : ''} · {model.intervalUnit} intervals ·{' '}
            {model.scheduled ? `next run ${formatRelative(model.nextRun, now)}` : 'built when a plan applies'}
            {model.enabled ? '' : ' · disabled'} · snapshot{' '}
            <code title={model.snapshotId}>{model.fingerprint}</code>
            {model.description ? ` · ${model.description}` : ''} ·{' '}
            <Link to={`${href('environments', env, 'lineage')}?model=${encodeURIComponent(name)}`}>
              in the lineage
            </Link>
          </p>
        ) : null}
        {model?.overScheduled ? (
          <p class="error" data-over-scheduled>
            {name} is {model.overScheduled.message}
          </p>
        ) : null}
      </PageHeader>
      {model === undefined ? (
        <Pending live={live} />
      ) : (
        <>
          <h2>Interval coverage</h2>
          {model.coverage ? (
            <CoverageTimeline coverage={model.coverage} />
          ) : (
            <p class="muted">
              A {model.kind} model keeps no intervals of its own: it is built when a plan applies
              {model.kind === 'EMBEDDED' ? ' (its readers inline it)' : ''}.
            </p>
          )}

          <h2>Executions</h2>
          {model.executions.items.length === 0 ? (
            <p class="empty">No execution in {env} yet.</p>
          ) : (
            <table class="data" data-testid="model-executions">
              <thead>
                <tr>
                  <th>Queued</th>
                  <th>Status</th>
                  <th>Interval</th>
                  <th class="num">Wait</th>
                  <th class="num">Duration</th>
                  <th class="num">Rows</th>
                  <th>Executor</th>
                  <th class="num">Attempt</th>
                  <th>Run</th>
                  <th>Error</th>
                </tr>
              </thead>
              <tbody>
                {model.executions.items.map((e) => (
                  <tr data-execution={e.id} data-status={e.status}>
                    <td title={formatTime(e.queuedAt)}>{formatRelative(e.queuedAt, now)}</td>
                    <td>
                      <StatusBadge status={e.status} title={e.skipReason ?? undefined} />
                    </td>
                    <td class="mono">
                      {e.interval
                        ? `${formatTime(e.interval.start)} – ${formatTime(e.interval.end)}`
                        : 'whole table'}
                    </td>
                    <td class="num">{formatDuration(e.waitMs)}</td>
                    <td class="num">{formatDuration(e.durationMs)}</td>
                    <td class="num">{e.rowsAffected ?? '—'}</td>
                    <td>{e.executor ?? '—'}</td>
                    <td class="num">{e.attempt}</td>
                    <td>
                      <Link to={href('runs', e.runId)}>run</Link> <TemporalLink workflowId={e.runId} />
                    </td>
                    <td>
                      {e.error ? (
                        <pre class="error execution-error" data-testid="execution-error">
                          {e.error}
                        </pre>
                      ) : e.skipReason ? (
                        <span class="muted">{e.skipReason}</span>
                      ) : (
                        '—'
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {model.executions.nextCursor ? (
            <p class="muted">
              The latest {model.executions.items.length} are shown; <code>sluice runs</code> or{' '}
              <code>GET /api/models/{name}/executions</code> pages through the rest.
            </p>
          ) : null}

          <h2>Definition</h2>
          <p class="muted">
            {model.definition.file}:{model.definition.line}
          </p>
          <dl class="facts" data-testid="model-header">
            {headerFields(model.definition.header).map(([key, value]) => (
              <>
                <dt>{key}</dt>
                <dd class={key === 'kind' || key === 'cron' ? 'mono' : ''}>{value}</dd>
              </>
            ))}
          </dl>
          <pre data-testid="model-query">{model.definition.query}</pre>

          <h2>Last batch's SQL</h2>
          {model.lastBatch ? (
            <>
              <p class="muted">
                <StatusBadge status={model.lastBatch.status} />{' '}
                {model.lastBatch.interval
                  ? `${formatTime(model.lastBatch.interval.start)} – ${formatTime(model.lastBatch.interval.end)}`
                  : 'whole table'}{' '}
                in <Link to={href('runs', model.lastBatch.runId)}>{model.lastBatch.runId}</Link>
              </p>
              {model.lastBatch.renderedSql ? (
                <pre data-testid="rendered-sql">{model.lastBatch.renderedSql}</pre>
              ) : null}
              {model.lastBatch.statements.length > 0 ? (
                <details>
                  <summary>
                    {model.lastBatch.statements.length} statement
                    {model.lastBatch.statements.length === 1 ? '' : 's'} as run
                  </summary>
                  {model.lastBatch.statements.map((s) => (
                    <>
                      <p class="muted">{s.durationMs === null ? 'planned' : formatDuration(s.durationMs)}</p>
                      <pre>{s.sql}</pre>
                    </>
                  ))}
                </details>
              ) : null}
            </>
          ) : (
            <p class="muted">No execution of it in {env} has left its SQL yet.</p>
          )}

          <h2>Snapshot per environment</h2>
          <table class="data" data-testid="model-environments">
            <thead>
              <tr>
                <th>Environment</th>
                <th>Fingerprint</th>
                <th>Compared with {env}</th>
              </tr>
            </thead>
            <tbody>
              {model.environments.map((e) => (
                <tr data-environment={e.environment}>
                  <td>
                    <Link to={href('environments', e.environment, 'models', name)}>{e.environment}</Link>
                  </td>
                  <td class="mono" title={e.snapshotId}>
                    {e.fingerprint}
                  </td>
                  <td>
                    {e.environment === env ? 'this one' : e.same ? 'same snapshot' : <strong>differs</strong>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>

          <h2>Lineage</h2>
          <dl class="facts">
            <dt>Reads</dt>
            <dd>{modelLinks(env, model.parents)}</dd>
            <dt>Read by</dt>
            <dd>{modelLinks(env, model.children)}</dd>
          </dl>
        </>
      )}
    </section>
  );
}

function modelLinks(env: string, names: string[]) {
  if (names.length === 0) return <span class="muted">no model</span>;
  return names.map((n, i) => (
    <>
      {i > 0 ? ', ' : ''}
      <Link to={href('environments', env, 'models', n)}>{n}</Link>
    </>
  ));
}
