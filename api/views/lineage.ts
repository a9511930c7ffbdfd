/**
 * An environment's lineage as the dashboard draws it: each model with its kind, latest execution
 * status and pause, and the edges between its models, from three queries whatever the model count
 * (the environment, its models joined with their snapshots, their latest executions), and the
 * workflow's pauses when it answers, the state DB's otherwise (as the environment view does).
 */

import type { ModelKindName } from '../../core/project/types.ts';
import { blockedByPauses } from '../../core/schedule.ts';
import { environmentLineage } from '../../state/lineage.ts';
import { parseSnapshotId } from '../../state/snapshots.ts';
import type { AppDeps } from '../context.ts';
import type { LineageView } from '../schemas/lineage.ts';
import { toPauses } from './environment-detail.ts';
import { requireEnvironment } from './environment-models.ts';
import { lastExecutions } from './last-executions.ts';
import { pausesOf, readLiveState } from './workflow-state.ts';

export async function environmentLineageView(deps: AppDeps, environment: string): Promise<LineageView> {
  await requireEnvironment(deps.db, environment);
  const [rows, last, live] = await Promise.all([
    environmentLineage(deps.db, environment),
    lastExecutions(deps.db, environment),
    readLiveState(deps, environment),
  ]);
  const names = new Set(rows.map((row) => row.model));
  const parentsOf = new Map(
    rows.map((row) => [
      row.model,
      [...new Set(row.parents.map((id) => parseSnapshotId(id).name))].filter((p) => names.has(p)).sort(),
    ]),
  );
  const pauses = await pausesOf(deps, environment, live);
  const blocked = live.state
    ? new Map(Object.entries(live.state.blocked))
    : blockedByPauses(
        rows.map((row) => ({
          name: row.model,
          snapshotId: row.snapshotId,
          kind: row.kind as ModelKindName,
          cron: '',
          cronTz: '',
          dependsOn: parentsOf.get(row.model)!,
          gateway: '',
        })),
        toPauses(pauses),
      );
  return {
    environment,
    nodes: rows.map((row) => ({
      name: row.model,
      kind: row.kind,
      lastStatus: last.get(row.model)?.status ?? null,
      paused: pauses.models[row.model] !== undefined,
      blockedReason: blocked.get(row.model) ?? null,
    })),
    edges: rows
      .flatMap((row) => parentsOf.get(row.model)!.map((from) => ({ from, to: row.model })))
      .sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : a.to > b.to ? 1 : 0)),
  };
}
