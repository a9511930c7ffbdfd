/**
 * One plan: its status (with its place in the queue, and how far its backfill got while it
 * applies), its diff and backfill summary in the words `sluice plan` prints, the models it
 * backfills with their batches and ranges, and its apply workflow in the Temporal Web UI.
 */
import { planSummary } from '../../../core/plan/summary.ts';
import { planWorkflowId } from '../../../core/workflow-ids.ts';
import { api, read } from '../api.ts';
import { BackfillProgress } from '../components/backfill-progress.tsx';
import { PageHeader, Pending } from '../components/page-header.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { TemporalLink } from '../components/temporal-link.tsx';
import { formatDuration, formatTime } from '../format.ts';
import { useLive } from '../live.ts';
import { href, Link } from '../router.tsx';
import type { PageProps } from '../routes.ts';

/** Plans that never reached their environment's workflow have no apply workflow to link to. */
const NEVER_QUEUED = new Set(['pending', 'rejected']);

const utc = (ms: number) => formatTime(new Date(ms).toISOString());

export function PlanPage(props: PageProps) {
  const id = props.params.id!;
  const live = useLive(() => read(api.plans[':id'].$get({ param: { id } })), `plan ${id}`);
  const plan = live.data;
  const now = Date.now();
  return (
    <section>
      <PageHeader
        title={`Plan ${id.slice(0, 8)}`}
        live={live}
        actions={
          plan && !NEVER_QUEUED.has(plan.status) ? <TemporalLink workflowId={planWorkflowId(id)} /> : null
        }
      >
        {plan ? (
          <dl class="facts" data-testid="plan-facts">
            <dt>Status</dt>
            <dd>
              <StatusBadge status={plan.status} />
              {plan.queuePosition !== null && plan.status === 'queued'
                ? ` position ${plan.queuePosition} in the queue`
                : ''}
              {plan.recomputeOnTurn && plan.status === 'queued'
                ? ' (computed again when its turn comes)'
                : ''}
            </dd>
            <dt>Environment</dt>
            <dd>
              <Link to={href('environments', plan.environment)}>{plan.environment}</Link>
            </dd>
            <dt>Submitted</dt>
            <dd>
              {formatTime(plan.submittedAt)} by {plan.submittedBy}
            </dd>
            <dt>Applied</dt>
            <dd>
              {plan.startedAt
                ? `${formatTime(plan.startedAt)}, ${plan.finishedAt ? `took ${formatDuration(Date.parse(plan.finishedAt) - Date.parse(plan.startedAt))}` : `for ${formatDuration(now - Date.parse(plan.startedAt))} so far`}`
                : 'not begun'}
            </dd>
            <dt>Backfill</dt>
            <dd>
              <BackfillProgress progress={plan.backfillProgress} />
            </dd>
            {plan.cancelledBy ? (
              <>
                <dt>Cancelled by</dt>
                <dd>{plan.cancelledBy}</dd>
              </>
            ) : null}
            {plan.error ? (
              <>
                <dt>Error</dt>
                <dd class="error" data-testid="plan-error">
                  {plan.error}
                </dd>
              </>
            ) : null}
            <dt>Plan id</dt>
            <dd class="mono">{plan.id}</dd>
          </dl>
        ) : null}
      </PageHeader>
      {plan === undefined ? (
        <Pending live={live} />
      ) : (
        <>
          <h2>Diff</h2>
          <pre data-testid="plan-summary">{planSummary(plan.text, plan.diff)}</pre>
          <h2>Backfill</h2>
          {plan.diff.backfill.length === 0 ? (
            <p class="muted">
              Nothing to backfill:{' '}
              {plan.diff.virtualUpdateOnly ? 'the views are only repointed' : 'no new table needs data'}.
            </p>
          ) : (
            <table class="data" data-testid="plan-backfill">
              <thead>
                <tr>
                  <th>Model</th>
                  <th>Kind</th>
                  <th class="num">Batches</th>
                  <th>From</th>
                  <th>To</th>
                </tr>
              </thead>
              <tbody>
                {plan.diff.backfill.map((b) => {
                  const first = b.intervals[0];
                  const last = b.intervals[b.intervals.length - 1];
                  return (
                    <tr>
                      <td>
                        <Link to={href('environments', plan.environment, 'models', b.model)}>{b.model}</Link>
                      </td>
                      <td>{b.kind}</td>
                      <td class="num">{b.execution === 'single' ? '1 (single)' : b.intervals.length}</td>
                      <td>{first ? utc(first[0]) : '—'}</td>
                      <td>{last ? utc(last[1]) : '—'}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
