/**
 * What a pull request's plan did, as a CI system reports it: the models it added, changed and
 * removed, its backfill, its audits with their failing row counts, its failures, links to the
 * dashboard and the Temporal Web UI, and the outcome with the exit code `sluice ci plan` ends with
 * (0 applied with no blocking audit failure, 1 failed, 2 rejected). Pure: the API and the CLI feed
 * it what they read, and core/ci/markdown.ts words it as a pull request comment.
 */

import type { SummarisedDiff } from '../plan/summary.ts';

/** The plan statuses a summary tells apart (the plans table's). */
export type CiPlanStatus =
  | 'pending'
  | 'queued'
  | 'applying'
  | 'applied'
  | 'failed'
  | 'cancelled'
  | 'rejected'
  | 'terminated';

export type CiOutcome = 'applied' | 'failed' | 'rejected' | 'in_progress';

export const CI_EXIT_CODES: Record<CiOutcome, number | null> = {
  applied: 0,
  failed: 1,
  rejected: 2,
  // not final: a CI job waits for it
  in_progress: null,
};

export interface CiPlanInput {
  id: string;
  status: CiPlanStatus;
  error: string | null;
  diff: SummarisedDiff & {
    /** the environment the diff was computed against (the pull request's own once it exists). */
    base: string | null;
    start: number | null;
  };
  backfillProgress: { models: { done: number; total: number }; batches: { done: number; total: number } };
}

/** One audit run of one execution of the plan's backfill. */
export interface CiAuditRun {
  model: string;
  name: string;
  blocking: boolean;
  failingRows: number;
}

/** An execution of the plan's backfill that failed. */
export interface CiFailureInput {
  model: string;
  error: string | null;
}

export interface CiSummaryInput {
  pullRequest: number;
  environment: string;
  /** the pull request's latest plan; null when the request was refused before a plan was stored. */
  plan: CiPlanInput | null;
  /** why the request was refused, when it was (an invalid project, a token out of scope, ...). */
  refusal?: string;
  audits?: readonly CiAuditRun[];
  failures?: readonly CiFailureInput[];
  /** when the environment expires, epoch ms (a plan's TTL), if it does. */
  expiresAt?: number | null;
  links?: { dashboard?: string; temporal?: string };
}

export interface CiAudit {
  model: string;
  name: string;
  blocking: boolean;
  /** offending rows found, summed over the backfill's batches. */
  failingRows: number;
  /** how many batches ran the audit. */
  runs: number;
}

export interface CiSummary {
  pullRequest: number;
  environment: string;
  planId: string | null;
  status: CiPlanStatus | null;
  outcome: CiOutcome;
  /** 0, 1 or 2; null while the plan is still queued or applying. */
  exitCode: number | null;
  /** why the plan failed or was refused. */
  error: string | null;
  base: string | null;
  models: {
    added: string[];
    /** directly modified: their own definition changed; they and their downstream are rebuilt. */
    breaking: string[];
    /** indirectly modified: an upstream model changed; rebuilt, their own definition unchanged. */
    indirect: string[];
    /** metadata only (cron, owner, audits, ...): no data changes, nothing rebuilt. */
    nonBreaking: string[];
    removed: string[];
  };
  backfill: {
    /** where the backfill of changed models starts (epoch ms); null for the model's whole history. */
    start: number | null;
    models: Array<{ model: string; batches: number }>;
    progress: CiPlanInput['backfillProgress'] | null;
  };
  audits: CiAudit[];
  /** blocking audits that found rows: any makes the outcome `failed`. */
  blockingAuditFailures: number;
  failures: Array<{ model: string; error: string }>;
  expiresAt: number | null;
  links: { dashboard: string | null; temporal: string | null };
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const sorted = (names: readonly string[]) => [...names].sort(byName);

/** Sums each model's audit over the batches that ran it. */
export function aggregateAudits(runs: readonly CiAuditRun[]): CiAudit[] {
  const byKey = new Map<string, CiAudit>();
  for (const run of runs) {
    const key = `${run.model}\u0000${run.name}`;
    const seen = byKey.get(key);
    if (seen) {
      seen.failingRows += run.failingRows;
      seen.runs += 1;
      seen.blocking ||= run.blocking;
    } else {
      byKey.set(key, { ...run, runs: 1 });
    }
  }
  return [...byKey.values()].sort((a, b) => byName(a.model, b.model) || byName(a.name, b.name));
}

const AUDIT_FAILURE =
  /AUDIT_FAILED: audit "((?:[^"\\]|\\.)+)" failed for model "((?:[^"\\]|\\.)+)": (\d+) offending rows?/;

/**
 * The blocking audit a failed execution's error names (the executor's AUDIT_FAILED message), so
 * the summary counts its rows with the audits that passed; null for any other failure.
 */
export function failedAuditOf(error: string | null): CiAuditRun | null {
  const match = error === null ? null : AUDIT_FAILURE.exec(error);
  if (!match) return null;
  return { model: match[2]!, name: match[1]!, blocking: true, failingRows: Number(match[3]) };
}

function outcomeOf(input: CiSummaryInput, blockingFailures: number): CiOutcome {
  const status = input.plan?.status;
  if (status === undefined || status === 'rejected') return 'rejected';
  if (status === 'applied') return blockingFailures > 0 ? 'failed' : 'applied';
  if (status === 'failed' || status === 'cancelled' || status === 'terminated') return 'failed';
  return 'in_progress';
}

export function ciSummary(input: CiSummaryInput): CiSummary {
  const plan = input.plan;
  const failedAudits = (input.failures ?? []).flatMap((f) => failedAuditOf(f.error) ?? []);
  const audits = aggregateAudits([...(input.audits ?? []), ...failedAudits]);
  const blockingAuditFailures = audits.filter((a) => a.blocking && a.failingRows > 0).length;
  const outcome = outcomeOf(input, blockingAuditFailures);
  const diff = plan?.diff;
  // one line per failed model: a model whose batches failed alike says it once
  const failures = new Map<string, string>();
  for (const failure of input.failures ?? []) {
    if (!failures.has(failure.model)) failures.set(failure.model, failure.error ?? 'failed');
  }
  return {
    pullRequest: input.pullRequest,
    environment: input.environment,
    planId: plan?.id ?? null,
    status: plan?.status ?? null,
    outcome,
    exitCode: CI_EXIT_CODES[outcome],
    error: plan?.error ?? input.refusal ?? null,
    base: diff?.base ?? null,
    models: {
      added: sorted(diff?.added ?? []),
      breaking: sorted(diff?.directlyModified ?? []),
      indirect: sorted(diff?.indirectlyModified ?? []),
      nonBreaking: sorted(diff?.metadataOnly ?? []),
      removed: sorted(diff?.removed ?? []),
    },
    backfill: {
      start: diff?.start ?? null,
      models: (diff?.backfill ?? []).map((entry) => ({
        model: entry.model,
        batches: entry.execution === 'single' ? 1 : entry.intervals.length,
      })),
      progress: plan?.backfillProgress ?? null,
    },
    audits,
    blockingAuditFailures,
    failures: [...failures]
      .map(([model, error]) => ({ model, error }))
      .sort((a, b) => byName(a.model, b.model)),
    expiresAt: input.expiresAt ?? null,
    links: { dashboard: input.links?.dashboard ?? null, temporal: input.links?.temporal ?? null },
  };
}
