/**
 * A pull request's summary as the API answers it: its environment's latest plan, what the plan's
 * backfill executions found (audits, failures), and the links a comment carries, put together by
 * core/ci/summary.ts and worded by core/ci/markdown.ts.
 */
import { ciMarkdown } from '../../core/ci/markdown.ts';
import { pullRequestEnvironment } from '../../core/ci/pull-request.ts';
import { type CiPlanStatus, ciSummary } from '../../core/ci/summary.ts';
import { temporalWorkflowLink } from '../../core/temporal-ui-link.ts';
import { planWorkflowId } from '../../core/workflow-ids.ts';
import type { StateDb } from '../../db/client.ts';
import { getEnvironment } from '../../state/environments.ts';
import { planOutcomes } from '../../state/plan-outcomes.ts';
import { getPlan, listPlanSummaries } from '../../state/plans.ts';
import { notFound } from '../errors.ts';
import { planView } from './plan-view.ts';

export interface CiLinkBases {
  /** the API's address as the pull request's readers reach it (it serves the dashboard too). */
  api: string;
  /** SLUICE_TEMPORAL_UI_URL, when known. */
  temporalUi?: string;
  namespace: string;
}

export async function pullRequestSummary(db: StateDb, pullRequest: number, bases: CiLinkBases) {
  const environment = pullRequestEnvironment(pullRequest);
  const latest = (await listPlanSummaries(db, { environment, limit: 1 })).items[0];
  const record = latest === undefined ? null : await getPlan(db, latest.id);
  if (record === null) {
    throw notFound(
      `pull request ${pullRequest} has no plan (environment ${environment}); plan it with sluice ci plan --pr ${pullRequest}`,
      { environment },
    );
  }
  const plan = await planView(db, record, null);
  const outcomes = await planOutcomes(db, plan.id);
  const expiresAt = (await getEnvironment(db, environment))?.expiresAt ?? null;
  const summary = ciSummary({
    pullRequest,
    environment,
    plan: { ...plan, status: plan.status as CiPlanStatus },
    audits: outcomes.audits,
    failures: outcomes.failures,
    expiresAt: expiresAt === null ? null : Date.parse(expiresAt),
    links: {
      dashboard: `${bases.api.replace(/\/+$/, '')}/environments/${environment}`,
      ...(bases.temporalUi
        ? { temporal: temporalWorkflowLink(bases.temporalUi, bases.namespace, planWorkflowId(plan.id)) }
        : {}),
    },
  });
  return { ...summary, markdown: ciMarkdown(summary) };
}
