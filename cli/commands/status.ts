/**
 * `sluice status [env]`: without an environment, the API's health and every environment; with one,
 * its workflow state, its over-scheduled models and each model's schedule, pause and last execution.
 */
import type { Command } from 'commander';
import type { EnvironmentDetail, Health } from '../api-client.ts';
import { type ApiOptions, apiClient, print, printJson, withApiOptions } from '../api-options.ts';
import { formatTable } from '../table.ts';

export function registerStatus(program: Command): void {
  withApiOptions(
    program
      .command('status')
      .description('health and environments, or one environment in detail')
      .argument('[env]', 'environment'),
  ).action(async (env: string | undefined, options: ApiOptions) => {
    const client = apiClient(options);
    if (env === undefined) {
      const [health, environments] = await Promise.all([client.health(), client.environments()]);
      if (options.json) return printJson({ health, environments: environments.items });
      print(renderHealth(health));
      print('');
      print(
        environments.items.length === 0
          ? 'No environments yet: plan a project with `sluice plan`'
          : formatTable(
              ['ENVIRONMENT', 'MODELS', 'PAUSED', 'LAST PLAN', 'UPDATED'],
              environments.items.map((e) => [
                e.name,
                String(e.modelCount),
                e.paused ? 'environment' : e.pausedModels.join(', ') || '-',
                e.planId ?? '-',
                e.updatedAt,
              ]),
            ),
      );
      return;
    }
    const detail = await client.environment(env);
    if (options.json) return printJson(detail);
    print(renderEnvironment(detail));
  });
}

function renderHealth(health: Health): string {
  const rate = (r: { successRate: number | null; finished: number }) =>
    r.successRate === null ? 'n/a' : `${(r.successRate * 100).toFixed(1)}% of ${r.finished}`;
  // without a token, an API with tokens on answers only its liveness
  if (!('auth' in health)) return `API ${health.status} (send a token for the details)`;
  const lines = [
    `API ${health.status} (auth ${health.auth})`,
    `Temporal: ${health.temporal.reachable ? 'reachable' : `unreachable (${health.temporal.error})`}`,
    `State DB: ${health.database.reachable ? 'reachable' : `unreachable (${health.database.error})`}`,
  ];
  if (health.executions) {
    lines.push(
      `Success: last 24 h ${rate(health.executions.last24h)}, last 100 ${rate(health.executions.last100)}`,
    );
  }
  if (health.runs) lines.push(`Runs: ${health.runs.queued} queued, ${health.runs.running} running`);
  return lines.join('\n');
}

/** `1h 05m`, `3m 20s`, `12s`. */
function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

export function renderEnvironment(detail: EnvironmentDetail): string {
  const wf = detail.workflow;
  const lines = [
    `Environment ${detail.name}: ${detail.modelCount} models, last plan ${detail.planId ?? '-'}`,
  ];
  if (detail.pause)
    lines.push(`PAUSED by ${detail.pause.actor} at ${detail.pause.at}: ${detail.pause.reason ?? ''}`);
  if (wf.running) {
    lines.push(`Workflow: ${wf.details ?? ''}`);
    for (const work of wf.workInFlight) {
      const what = work.kind === 'run' ? `Run ${work.id}` : `Applying plan ${work.id}`;
      const since = `for ${duration(work.runningForMs)} (since ${work.startedAt})`;
      lines.push(
        work.stuck
          ? `STUCK: ${what} ${since}, past its limit of ${duration(work.limitMs)}; workflow ${work.workflowId}`
          : `${what} ${since}`,
      );
    }
    if (wf.plansQueued.length > 0)
      lines.push(`Plans queued: ${wf.plansQueued.map((p) => p.planId).join(', ')}`);
    if (wf.lastError) lines.push(`Last failed step (${wf.lastError.at}): ${wf.lastError.message}`);
  } else {
    lines.push(`Workflow: not running${wf.error ? ` (${wf.error})` : ''}`);
  }
  for (const m of detail.models) {
    if (m.overScheduled) lines.push(`${m.name} is ${m.overScheduled.message}`);
  }
  lines.push(
    '',
    formatTable(
      ['MODEL', 'KIND', 'CRON', 'TIMEZONE', 'NEXT RUN', 'STATE', 'LAST'],
      detail.models.map((m) => [
        m.name,
        m.kind,
        m.cron,
        m.cronTz,
        m.nextRun ?? '-',
        m.running
          ? 'running'
          : m.paused
            ? 'paused'
            : m.blockedReason
              ? 'blocked'
              : m.scheduled
                ? 'scheduled'
                : '-',
        m.lastExecution
          ? `${m.lastExecution.status} ${m.lastExecution.finishedAt ?? m.lastExecution.queuedAt}`
          : '-',
      ]),
    ),
  );
  return lines.join('\n');
}
