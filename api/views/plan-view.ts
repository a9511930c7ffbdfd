/**
 * A plan as the API shows it: one plan whole (its diff, the diff as `sluice plan` words it, its
 * queue position) or one item of the plan list (the diff counted), both with how far its backfill
 * got (models and batches done of total, from the executions of the plan's runs).
 */
import { formatPlanDiff } from '../../core/plan/format.ts';
import { backfillProgress } from '../../core/plan/progress.ts';
import type { PlanDiff } from '../../core/plan/types.ts';
import type { StateDb } from '../../db/client.ts';
import { succeededPlanBatches } from '../../state/plan-progress.ts';
import type { PlanRecord, PlanSummaryRecord } from '../../state/plans.ts';
import { planChangesSomething } from '../environment-commands.ts';

/** What a plan's full view and its list item both say of it (PlanHeadSchema in api/schemas/plans.ts). */
function planHead(plan: PlanRecord | Omit<PlanSummaryRecord, 'size'>) {
  return {
    id: plan.id,
    environment: plan.environment,
    status: plan.status,
    submittedBy: plan.submittedBy,
    submittedAt: plan.submittedAt,
    startedAt: plan.startedAt,
    finishedAt: plan.finishedAt,
    error: plan.error,
    cancelledBy: plan.cancelledBy,
    recomputeOnTurn: plan.recomputeOnTurn,
  };
}

export async function planView(db: StateDb, plan: PlanRecord, queuePosition: number | null) {
  const diff = plan.diff as PlanDiff;
  const succeeded = (await succeededPlanBatches(db, [plan.id])).get(plan.id) ?? new Map();
  return {
    ...planHead(plan),
    progress: plan.progress ?? null,
    backfillProgress: backfillProgress(
      diff.backfill.map((b) => ({ model: b.model, execution: b.execution, intervals: b.intervals.length })),
      succeeded,
    ),
    diff: {
      ...diff,
      backfill: diff.backfill.map((b) => ({
        ...b,
        intervals: b.intervals.map(([s, e]) => [s, e] as [number, number]),
      })),
    },
    text: formatPlanDiff(diff),
    changes: planChangesSomething(diff),
    queuePosition,
  };
}

/** The items of a page of the plan list, their progress read in one query for the whole page. */
export async function planSummaryViews(db: StateDb, plans: readonly PlanSummaryRecord[]) {
  const succeeded = await succeededPlanBatches(
    db,
    plans.map((p) => p.id),
  );
  return plans.map(({ size, ...plan }) => ({
    ...planHead(plan),
    counts: {
      added: size.added,
      removed: size.removed,
      directlyModified: size.directlyModified,
      indirectlyModified: size.indirectlyModified,
      metadataOnly: size.metadataOnly,
    },
    backfillProgress: backfillProgress(size.backfill, succeeded.get(plan.id) ?? new Map()),
  }));
}
