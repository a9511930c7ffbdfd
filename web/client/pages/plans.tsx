/**
 * Plans, newest first, in every environment or one: queued, applying with how far their backfill
 * got, applied, failed, rejected; what each changes, and who submitted it when.
 */
import { api, read } from '../api.ts';
import { BackfillProgress } from '../components/backfill-progress.tsx';
import { PageHeader, Pending } from '../components/page-header.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { formatDuration, formatRelative, formatTime } from '../format.ts';
import { useLive } from '../live.ts';
import { href, Link, navigate } from '../router.tsx';
import type { PageProps } from '../routes.ts';

async function loadPlans(environment: string | null) {
  const [plans, environments] = await Promise.all([
    read(api.plans.$get({ query: environment ? { environment, limit: '100' } : { limit: '100' } })),
    read(api.environments.$get()),
  ]);
  return { plans, environments: environments.items.map((e) => e.name) };
}

function changes(counts: {
  added: number;
  removed: number;
  directlyModified: number;
  indirectlyModified: number;
  metadataOnly: number;
}): string {
  const parts = [
    [counts.added, 'added'],
    [counts.removed, 'removed'],
    [counts.directlyModified, 'modified'],
    [counts.indirectlyModified, 'indirectly modified'],
    [counts.metadataOnly, 'metadata'],
  ] as const;
  const said = parts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`);
  return said.length > 0 ? said.join(', ') : 'no change';
}

export function PlansPage(props: PageProps) {
  const environment = props.query.get('environment');
  const live = useLive(() => loadPlans(environment), `plans ${environment ?? '*'}`);
  const now = Date.now();
  const data = live.data;
  return (
    <section>
      <PageHeader title="Plans" live={live}>
        <div class="toolbar">
          <label>
            Environment
            <select
              data-testid="plan-environment"
              onChange={(event: Event) => {
                const value = (event.target as HTMLSelectElement).value;
                navigate(value ? `/plans?environment=${encodeURIComponent(value)}` : '/plans');
              }}
            >
              <option value="" selected={environment === null}>
                every environment
              </option>
              {(data?.environments ?? (environment ? [environment] : [])).map((name) => (
                <option value={name} selected={name === environment}>
                  {name}
                </option>
              ))}
            </select>
          </label>
        </div>
      </PageHeader>
      {data === undefined ? (
        <Pending live={live} />
      ) : data.plans.items.length === 0 ? (
        <p class="empty">
          No plan{environment ? ` for ${environment}` : ''} yet.{' '}
          <code>sluice plan {environment ?? 'prod'}</code> computes one.
        </p>
      ) : (
        <>
          <table class="data" data-testid="plans">
            <thead>
              <tr>
                <th>Plan</th>
                <th>Environment</th>
                <th>Status</th>
                <th>Changes</th>
                <th>Backfill</th>
                <th>Submitted</th>
                <th>Took</th>
                <th>Error</th>
              </tr>
            </thead>
            <tbody>
              {data.plans.items.map((plan) => (
                <tr data-plan={plan.id} data-status={plan.status}>
                  <td class="mono">
                    <Link to={href('plans', plan.id)}>{plan.id.slice(0, 8)}</Link>
                  </td>
                  <td>
                    <Link to={href('environments', plan.environment)}>{plan.environment}</Link>
                  </td>
                  <td>
                    <StatusBadge status={plan.status} />
                  </td>
                  <td>{changes(plan.counts)}</td>
                  <td>
                    <BackfillProgress progress={plan.backfillProgress} />
                  </td>
                  <td title={formatTime(plan.submittedAt)}>
                    {formatRelative(plan.submittedAt, now)} by {plan.submittedBy}
                  </td>
                  <td>
                    {plan.startedAt
                      ? formatDuration(
                          (plan.finishedAt ? Date.parse(plan.finishedAt) : now) - Date.parse(plan.startedAt),
                        )
                      : '—'}
                  </td>
                  <td>{plan.error ? <span class="error">{plan.error}</span> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.plans.nextCursor ? <p class="muted">The latest 100 plans are shown.</p> : null}
        </>
      )}
    </section>
  );
}
