/**
 * Every environment on one screen: paused or not (why, by whom, since when), its models, the next
 * tick and for which models, runs in flight, the last run's status, the models failing now, plans
 * queued and stuck work.
 */
import { environmentWorkflowId } from '../../../core/workflow-ids.ts';
import { api, read } from '../api.ts';
import { PageHeader, Pending } from '../components/page-header.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { TemporalLink } from '../components/temporal-link.tsx';
import { formatRelative, formatTime } from '../format.ts';
import { useLive } from '../live.ts';
import { href, Link } from '../router.tsx';

async function loadEnvironments() {
  const list = await read(api.environments.$get());
  // per environment, its schedule and models and its last run: the list is short, and each detail
  // is what the environment page shows too
  return Promise.all(
    list.items.map(async (summary) => {
      const [detail, runs] = await Promise.all([
        read(api.environments[':env'].$get({ param: { env: summary.name } })),
        read(api.runs.$get({ query: { environment: summary.name, limit: '1' } })),
      ]);
      return { ...detail, lastRun: runs.items[0] ?? null };
    }),
  );
}

export function EnvironmentsPage() {
  const live = useLive(loadEnvironments, 'environments');
  const now = Date.now();
  const items = live.data;
  return (
    <section>
      <PageHeader title="Environments" live={live} />
      {items === undefined ? (
        <Pending live={live} />
      ) : items.length === 0 ? (
        <p class="empty">
          No environment yet. Plan a project into one with <code>sluice plan prod --project DIR</code>.
        </p>
      ) : (
        <table class="data" data-testid="environments">
          <thead>
            <tr>
              <th>Environment</th>
              <th>State</th>
              <th class="num">Models</th>
              <th>Next tick</th>
              <th class="num">Runs in flight</th>
              <th>Last run</th>
              <th>Failing now</th>
              <th class="num">Plans queued</th>
              <th>Stuck</th>
            </tr>
          </thead>
          <tbody>
            {items.map((env) => {
              const failing = env.models
                .filter((m) => m.lastExecution?.status === 'failed')
                .map((m) => m.name);
              const stuck = env.workflow.workInFlight.filter((w) => w.stuck);
              const last = env.lastRun;
              const wake = env.workflow.nextWake;
              return (
                <tr data-environment={env.name}>
                  <td>
                    <Link to={href('environments', env.name)}>{env.name}</Link>{' '}
                    <TemporalLink workflowId={environmentWorkflowId(env.name)} />
                  </td>
                  <td>
                    {env.pause ? (
                      <span title={`paused by ${env.pause.actor} at ${formatTime(env.pause.at)}`}>
                        <StatusBadge status="paused" /> {env.pause.reason ?? 'no reason given'} (
                        {env.pause.actor}, {formatRelative(env.pause.at, now)})
                      </span>
                    ) : env.workflow.error ? (
                      <span class="error" title={env.workflow.error}>
                        workflow unreadable
                      </span>
                    ) : (
                      <StatusBadge status={env.pausedModels.length > 0 ? 'partly paused' : 'active'} />
                    )}
                    {env.pausedModels.length > 0 ? (
                      <div class="muted">paused models: {env.pausedModels.join(', ')}</div>
                    ) : null}
                  </td>
                  <td class="num">{env.modelCount}</td>
                  <td>
                    {wake ? (
                      <span title={formatTime(wake.at)} data-testid="next-tick">
                        {formatRelative(wake.at, now)} for {wake.models.slice(0, 3).join(', ')}
                        {wake.models.length > 3 ? ` +${wake.models.length - 3} more` : ''}
                      </span>
                    ) : (
                      'nothing scheduled'
                    )}
                  </td>
                  <td class="num">{env.workflow.runsInFlight.length}</td>
                  <td>
                    {last ? (
                      <Link to={href('runs', last.id)}>
                        <StatusBadge status={last.status} /> {formatRelative(last.scheduledAt, now)}
                      </Link>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>{failing.length === 0 ? '—' : <span class="error">{failing.join(', ')}</span>}</td>
                  <td class="num">{env.workflow.plansQueued.length}</td>
                  <td>
                    {stuck.length === 0 ? (
                      '—'
                    ) : (
                      <StatusBadge status="stuck" title={stuck.map((s) => s.id).join(', ')} />
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
