/**
 * Computes a plan from the state database: the project's models and fingerprints against the
 * environment's snapshot map, with the completed intervals of every snapshot the project would map
 * to. An environment that does not exist yet is compared with the one it is created from (prod by
 * default, as `sqlmesh plan dev` does), so a new environment over an unchanged project is a
 * virtual update.
 *
 * A snapshot never changes, so its stored metadata hash is the one of the plan that created it. A
 * later plan may have changed the model's metadata only (cron, audits, ...) and kept the snapshot:
 * the metadata the environment runs with is then that of the project stored with the plan that
 * last promoted it (as activities/scheduler/environment-models.ts reads it), and that is what the
 * project is compared with. Otherwise a metadata change would show in every plan after it too.
 */

import { fingerprintProject } from '../../core/fingerprint.ts';
import { PROD_ENVIRONMENT, validateEnvironmentName } from '../../core/naming.ts';
import { diffProject, snapshotIdOf } from '../../core/plan/diff.ts';
import { PlanRequestError } from '../../core/plan/request-error.ts';
import type { CurrentSnapshots, PlanDiff } from '../../core/plan/types.ts';
import type { Project } from '../../core/project/types.ts';
import type { StateDb } from '../../db/client.ts';
import { environmentSnapshotMap, getEnvironment } from '../environments.ts';
import { completedIntervals } from '../intervals.ts';
import { getPlan, getPlanProject } from '../plans.ts';
import { getSnapshots } from '../snapshots.ts';
import { readStoredProject } from './stored-project.ts';

export interface ComputePlanInput {
  db: StateDb;
  project: Project;
  environment: string;
  /** the plan's execution time, epoch ms. */
  now: number;
  /** development plans only: backfill from here (epoch ms, inclusive). */
  start?: number;
  /** development plans only: backfill up to here (epoch ms, exclusive). */
  end?: number;
  /**
   * The environment a new environment starts from; `prod` by default (and then an empty start
   * when prod does not exist yet); null to start empty.
   */
  createFrom?: string | null;
}

export async function computePlan(input: ComputePlanInput): Promise<PlanDiff> {
  const { db, project, environment } = input;
  validateEnvironmentName(environment);
  const base = await baseEnvironment(db, environment, input.createFrom);
  const current = base === null ? {} : await currentSnapshots(db, base);

  const fingerprints = fingerprintProject(project.models, project.audits);
  const candidates = project.models.map((model) =>
    snapshotIdOf(model.name, fingerprints[model.name]!.fingerprint),
  );
  const completed = await completedIntervals(db, candidates);

  return diffProject({
    environment,
    models: project.models,
    fingerprints,
    current,
    base,
    completed,
    now: input.now,
    ...(input.start === undefined ? {} : { start: input.start }),
    ...(input.end === undefined ? {} : { end: input.end }),
  });
}

async function baseEnvironment(
  db: StateDb,
  environment: string,
  createFrom: string | null | undefined,
): Promise<string | null> {
  if (await getEnvironment(db, environment)) return environment;
  if (createFrom === null || environment === PROD_ENVIRONMENT) return null;
  if (createFrom === undefined) return (await getEnvironment(db, PROD_ENVIRONMENT)) ? PROD_ENVIRONMENT : null;
  validateEnvironmentName(createFrom);
  if (!(await getEnvironment(db, createFrom))) {
    throw new PlanRequestError(
      'createFrom',
      `environment "${environment}" cannot be created from "${createFrom}": no such environment`,
    );
  }
  return createFrom;
}

/**
 * The environment's snapshot map with each snapshot's fingerprints and stored definition, and the
 * metadata hash each model runs with now.
 */
async function currentSnapshots(db: StateDb, environment: string): Promise<CurrentSnapshots> {
  const map = await environmentSnapshotMap(db, environment);
  const records = await getSnapshots(db, Object.values(map));
  const byId = new Map(records.map((record) => [record.id, record]));
  const promoted = await promotedMetadataHashes(db, environment, map);
  const current: CurrentSnapshots = {};
  for (const [model, id] of Object.entries(map)) {
    const record = byId.get(id);
    if (!record) throw new Error(`environment "${environment}" maps ${model} to unknown snapshot "${id}"`);
    current[model] = {
      snapshotId: id,
      fingerprint: record.fingerprint,
      metadataHash: promoted[model] ?? record.metadataHash,
      definition: record.definition,
    };
  }
  return current;
}

/**
 * Metadata hashes of the models that the plan which last promoted the environment maps to the
 * snapshots the environment maps them to, computed from the project stored with that plan. Empty
 * when there is no such plan or it was stored without a readable project.
 */
async function promotedMetadataHashes(
  db: StateDb,
  environment: string,
  map: Readonly<Record<string, string>>,
): Promise<Record<string, string>> {
  const planId = (await getEnvironment(db, environment))?.planId ?? null;
  if (planId === null) return {};
  const plan = await getPlan(db, planId);
  const stored = plan ? await getPlanProject(db, planId) : null;
  if (!plan || stored === null) return {};
  let project: Project;
  try {
    project = readStoredProject(stored, planId);
  } catch {
    return {};
  }
  const snapshotMap = (plan.diff as PlanDiff).snapshotMap;
  const fingerprints = fingerprintProject(project.models, project.audits);
  const hashes: Record<string, string> = {};
  for (const model of project.models) {
    const hash = fingerprints[model.name]?.metadataHash;
    if (hash !== undefined && snapshotMap[model.name] === map[model.name]) hashes[model.name] = hash;
  }
  return hashes;
}
