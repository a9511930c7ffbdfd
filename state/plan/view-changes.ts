/**
 * The view swap of a plan, as `beginPlan` prepares it for the apply executor's `promoteViews` and
 * `dropViews`: the environment's views pointed at the snapshots of the plan's new map, and the views
 * of models the environment no longer exposes dropped (removed models, models that became EMBEDDED,
 * which have no table, and models that moved to another gateway, whose old view is dropped there).
 * Views are replaced in place, so readers never see a missing view.
 */
import { physicalTable } from '../../core/naming.ts';
import { fingerprintOf, gatewayOf } from '../../core/plan/requests.ts';
import type { PlanDiff, ViewEntry } from '../../core/plan/types.ts';
import type { Project } from '../../core/project/types.ts';
import type { StateDb } from '../../db/client.ts';
import { getSnapshots } from '../snapshots.ts';

export interface ViewChanges {
  /** per gateway, the views to point at physical tables. */
  promote: Record<string, ViewEntry[]>;
  /** per gateway, the models whose views to drop. */
  drop: Record<string, string[]>;
}

/** What the swap changes, per gateway. */
export async function planViewChanges(db: StateDb, project: Project, diff: PlanDiff): Promise<ViewChanges> {
  const promote: Record<string, ViewEntry[]> = {};
  const placed = new Map<string, string>();
  for (const model of project.models) {
    const snapshotId = diff.snapshotMap[model.name];
    if (snapshotId === undefined || model.kind.name === 'EMBEDDED') continue;
    const gateway = gatewayOf(project, model);
    placed.set(model.name, gateway);
    const physical = physicalTable(model.name, fingerprintOf(snapshotId)).qualified;
    promote[gateway] = [...(promote[gateway] ?? []), { model: model.name, physical }];
  }

  const drop: Record<string, string[]> = {};
  if (diff.base === diff.environment) {
    const previous = await getSnapshots(db, Object.values(diff.previousSnapshotMap));
    for (const record of previous) {
      if (record.kind === 'EMBEDDED' || placed.get(record.name) === record.gateway) continue;
      if (diff.previousSnapshotMap[record.name] !== record.id) continue;
      drop[record.gateway] = [...(drop[record.gateway] ?? []), record.name];
    }
  }
  for (const models of Object.values(drop)) models.sort();
  return { promote, drop };
}
