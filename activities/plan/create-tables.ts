/**
 * Apply step (b): creates the physical schemas and the empty tables (or views) of the plan's new
 * snapshots, in dependency order so a table created from its query's shape finds the tables it
 * reads. Tables that exist already are left as they are.
 */
import { creationRequests } from '../../core/plan/requests.ts';
import type { PlanDiff } from '../../core/plan/types.ts';
import type { Project } from '../../core/project/types.ts';
import type { EnginePool } from '../engines/pool.ts';
import { createPhysicalTables } from '../execution/create-physical-tables.ts';

export interface CreateTablesInput {
  engines: EnginePool;
  project: Project;
  diff: PlanDiff;
  signal?: AbortSignal;
}

export async function createPlanTables(input: CreateTablesInput): Promise<{ created: number }> {
  const prepared = creationRequests(input.project, input.diff);
  for (const { request, gateway } of prepared) {
    await createPhysicalTables(
      input.engines.get(gateway),
      [request],
      input.signal === undefined ? {} : { signal: input.signal },
    );
  }
  return { created: prepared.length };
}
