/**
 * Part of `beginPlan` (activities/scheduler/plans.ts): stores the plan's new snapshots: the model as loaded, the normalised query its
 * fingerprint was computed from (the CSV text for a seed), the snapshots it reads from, and the
 * physical table it owns. A snapshot that is already stored (shared with another environment, or
 * mapped again after a rollback) is kept as stored: a snapshot never changes.
 */
import { fingerprintProject, normalizeSql } from '../../core/fingerprint.ts';
import { physicalTable } from '../../core/naming.ts';
import { gatewayOf } from '../../core/plan/requests.ts';
import type { PlanDiff } from '../../core/plan/types.ts';
import type { Model, Project } from '../../core/project/types.ts';
import type { StateDb } from '../../db/client.ts';
import { getSnapshots, type SnapshotInput, upsertSnapshots } from '../snapshots.ts';

export interface StoreSnapshotsInput {
  db: StateDb;
  project: Project;
  diff: PlanDiff;
}

export async function storePlanSnapshots(
  input: StoreSnapshotsInput,
): Promise<{ inserted: string[]; existing: string[] }> {
  const { db, project, diff } = input;
  const ids = diff.newSnapshots.map((snapshot) => snapshot.snapshotId);
  const stored = new Set((await getSnapshots(db, ids)).map((record) => record.id));
  const byName = new Map(project.models.map((model) => [model.name, model]));
  const fingerprints = fingerprintProject(project.models, project.audits);
  const inputs: SnapshotInput[] = [];
  for (const snapshot of diff.newSnapshots) {
    if (stored.has(snapshot.snapshotId)) continue;
    const model = byName.get(snapshot.model);
    if (!model) throw new Error(`the plan names model ${snapshot.model}, which the project does not define`);
    const physical = physicalTable(model.name, snapshot.fingerprint);
    inputs.push({
      name: model.name,
      fingerprint: snapshot.fingerprint,
      metadataHash: fingerprints[model.name]!.metadataHash,
      kind: model.kind.name,
      definition: model,
      query: storedQuery(model),
      parents: parentSnapshots(model, diff),
      physicalSchema: physical.schema,
      physicalTable: physical.table,
      gateway: gatewayOf(project, model),
    });
  }
  const result = await upsertSnapshots(db, inputs);
  return { inserted: result.inserted, existing: [...ids.filter((id) => stored.has(id)), ...result.existing] };
}

function storedQuery(model: Model): string {
  if (model.kind.name === 'SEED') return (model.seed?.content ?? '').replace(/\r\n/g, '\n');
  return normalizeSql(model.query);
}

/** Snapshot ids, in the plan's new map, of the models this one reads. */
function parentSnapshots(model: Model, diff: PlanDiff): string[] {
  return [...new Set(model.dependsOn)]
    .map((name) => diff.snapshotMap[name])
    .filter((id): id is string => id !== undefined)
    .sort();
}
