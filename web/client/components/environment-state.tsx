/**
 * An environment's state as its workflow tells it: paused (why, by whom, since when), the next tick
 * and its models, runs in flight, plans queued, stuck work and the last error, each workflow linked
 * to the Temporal Web UI.
 */
import { environmentWorkflowId, planWorkflowId } from '../../../core/workflow-ids.ts';
import { formatDuration, formatRelative, formatTime } from '../format.ts';
import type { EnvironmentDetail } from '../model-rows.ts';
import { href, Link } from '../router.tsx';
import { StatusBadge } from './status-badge.tsx';
import { TemporalLink } from './temporal-link.tsx';

function ModelList(props: { models: string[]; env: string; max?: number }) {
  const max = props.max ?? 8;
  const shown = props.models.slice(0, max);
  return (
    <span>
      {shown.map((model, i) => (
        <span key={model}>
          {i > 0 ? ', ' : ''}
          <Link to={href('environments', props.env, 'models', model)}>{model}</Link>
        </span>
      ))}
      {props.models.length > max ? ` +${props.models.length - max} more` : ''}
    </span>
  );
}

export function EnvironmentState(props: { env: EnvironmentDetail; now: number }) {
  const { env, now } = props;
  const wf = env.workflow;
  const stuck = wf.workInFlight.filter((w) => w.stuck);
  return (
    <dl class="facts env-state" data-testid="environment-state">
      <dt>State</dt>
      <dd data-testid="environment-pause">
        {env.pause ? (
          <>
            <StatusBadge status="paused" /> {env.pause.reason ?? 'no reason given'}{' '}
            <span class="muted">
              by {env.pause.actor}, {formatTime(env.pause.at)} ({formatRelative(env.pause.at, now)})
            </span>
          </>
        ) : wf.error ? (
          <span class="error">workflow unreadable: {wf.error}</span>
        ) : (
          <StatusBadge status={wf.running ? 'running' : 'stopped'} />
        )}{' '}
        <TemporalLink workflowId={environmentWorkflowId(env.name)} label="environment workflow" />
        {env.pausedModels.length > 0 ? (
          <span class="muted">
            {' '}
            · paused models: <ModelList models={env.pausedModels} env={env.name} />
          </span>
        ) : null}
      </dd>
      <dt>Next tick</dt>
      <dd data-testid="environment-next-tick">
        {wf.nextWake ? (
          <>
            <span title={formatTime(wf.nextWake.at)}>{formatRelative(wf.nextWake.at, now)}</span> for{' '}
            <ModelList models={wf.nextWake.models} env={env.name} />
          </>
        ) : (
          'nothing scheduled'
        )}
      </dd>
      <dt>Runs in flight</dt>
      <dd data-testid="environment-runs-in-flight">
        {wf.runsInFlight.length === 0
          ? 'none'
          : wf.runsInFlight.map((run) => (
              <div key={run.runId}>
                <Link to={href('runs', run.runId)}>{run.runId}</Link>{' '}
                <span class="muted">
                  {run.trigger}, {run.done.length} of {run.models.length} models done, started{' '}
                  {formatRelative(run.startedAt, now)}
                </span>{' '}
                <TemporalLink workflowId={run.runId} />
              </div>
            ))}
      </dd>
      <dt>Plans</dt>
      <dd data-testid="environment-plans">
        {wf.applyingPlan ? (
          <div>
            applying <Link to={href('plans', wf.applyingPlan)}>{wf.applyingPlan}</Link>{' '}
            <TemporalLink workflowId={planWorkflowId(wf.applyingPlan)} />
          </div>
        ) : null}
        {wf.plansQueued.length === 0
          ? wf.applyingPlan
            ? null
            : 'none queued'
          : wf.plansQueued.map((plan) => (
              <div key={plan.planId}>
                #{plan.position} <Link to={href('plans', plan.planId)}>{plan.planId}</Link>{' '}
                <span class="muted">
                  queued by {plan.submittedBy} {formatRelative(plan.submittedAt, now)}
                </span>
              </div>
            ))}
      </dd>
      <dt>Stuck</dt>
      <dd data-testid="environment-stuck">
        {stuck.length === 0
          ? 'nothing'
          : stuck.map((work) => (
              <div key={work.id}>
                <StatusBadge status="stuck" />{' '}
                <Link to={href(work.kind === 'run' ? 'runs' : 'plans', work.id)}>{work.id}</Link>{' '}
                <span class="muted">
                  going for {formatDuration(work.runningForMs)}, limit {formatDuration(work.limitMs)}
                </span>{' '}
                <TemporalLink workflowId={work.workflowId} />
              </div>
            ))}
      </dd>
      <dt>Last error</dt>
      <dd data-testid="environment-last-error">
        {wf.lastError ? (
          <span class="error">
            {wf.lastError.message} <span class="muted">({formatTime(wf.lastError.at)})</span>
          </span>
        ) : (
          'none'
        )}
      </dd>
    </dl>
  );
}
