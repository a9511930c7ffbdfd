/**
 * A generated project of any size, planned into an environment of a state DB through the real plan
 * steps (computed, snapshots stored, promoted), with a history of executions: what the dashboard's
 * browser tests and benchmark draw. The models are layered as a warehouse project is (sources,
 * then models each reading one to three models a few steps upstream), about two edges a model, and
 * their states are mixed: most succeeded, some failed, some running, some never ran, and one
 * paused near the end (with the few models downstream of it blocked).
 * Deterministic: the same size gives the same project, edges and states.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadProject } from '../../core/project/load.ts';
import type { Project } from '../../core/project/types.ts';
import type { StateDb } from '../../db/client.ts';
import {
  recordExecutionFinished,
  recordExecutionQueued,
  recordExecutionStarted,
} from '../../state/executions.ts';
import { pause } from '../../state/pauses.ts';
import { finalizePlan } from '../../state/plan/finalize.ts';
import { createPlanRecord } from '../../state/plan/record.ts';
import { storePlanSnapshots } from '../../state/plan/store-snapshots.ts';
import { updatePlan } from '../../state/plans.ts';
import { createRun, updateRunStatus } from '../../state/runs.ts';

export interface GeneratedModel {
  name: string;
  parents: string[];
  /** the status of its one execution; null when it never ran. */
  status: 'succeeded' | 'failed' | 'running' | null;
  paused: boolean;
}

const SCHEMAS = ['raw_src', 'staging', 'core', 'marts', 'reports'];

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How many steps deep the generated projects go, as a warehouse's sources, staging and marts do. */
const STAGES = 12;

/**
 * `count` models in twelve stages: the first stage sources, each model of a later stage reading
 * one to three models of the three stages before it, mostly the one just before.
 */
export function generatedModels(count: number): GeneratedModel[] {
  const next = random(count);
  const stageOf = (i: number) => Math.floor((i / count) * STAGES);
  const firstOf: number[] = [];
  for (let i = count - 1; i >= 0; i--) firstOf[stageOf(i)] = i;
  const models: GeneratedModel[] = [];
  for (let i = 0; i < count; i++) {
    const stage = stageOf(i);
    const schema = SCHEMAS[Math.min(SCHEMAS.length - 1, Math.floor((stage / STAGES) * SCHEMAS.length))]!;
    const name = `${schema}.model_${String(i).padStart(4, '0')}`;
    const parents = new Set<string>();
    if (stage > 0) {
      const wanted = 1 + Math.floor(next() * 3);
      for (let p = 0; p < wanted; p++) {
        const from = Math.max(0, stage - 1 - Math.floor(next() * next() * 3));
        const start = firstOf[from]!;
        const end = from + 1 < stage ? firstOf[from + 1]! : firstOf[stage]!;
        parents.add(models[start + Math.floor(next() * (end - start))]!.name);
      }
    }
    const roll = next();
    models.push({
      name,
      parents: [...parents].sort(),
      status: roll < 0.04 ? 'failed' : roll < 0.07 ? 'running' : roll < 0.15 ? null : 'succeeded',
      paused: i === Math.floor(count * 0.9),
    });
  }
  return models;
}

/** The models as SQL files in `modelsDir`: FULL tables and views reading their parents. */
export function writeGeneratedModels(modelsDir: string, models: readonly GeneratedModel[]): void {
  mkdirSync(modelsDir, { recursive: true });
  models.forEach((model, i) => {
    const kind = i % 7 === 3 ? 'VIEW' : 'FULL';
    const from =
      model.parents.length === 0 ? '' : ` FROM ${model.parents.map((p, k) => `${p} AS t${k}`).join(', ')}`;
    writeFileSync(
      join(modelsDir, `${model.name}.sql`),
      `MODEL (name ${model.name}, kind ${kind}, cron '@daily');\nSELECT 1 AS id${from}\n`,
    );
  });
}

/** The models as a project folder under `dir`, on a DuckDB warehouse in memory. */
export function writeGeneratedProject(dir: string, models: readonly GeneratedModel[]): string {
  writeGeneratedModels(join(dir, 'models'), models);
  writeFileSync(
    join(dir, 'config.yaml'),
    "gateways:\n  warehouse:\n    connection:\n      type: duckdb\n      database: ':memory:'\ndefault_gateway: warehouse\nmodel_defaults:\n  dialect: duckdb\n  start: '2026-01-01'\n",
  );
  return dir;
}

/**
 * Plans `project` into `environment` as an apply would leave it, then records one run whose
 * executions give each model its generated status, and pauses the generated paused models.
 */
export async function seedGeneratedEnvironment(
  db: StateDb,
  options: { project: Project; models: readonly GeneratedModel[]; environment: string; now: number },
): Promise<void> {
  const { project, models, environment, now } = options;
  const { planId, diff } = await createPlanRecord({
    db,
    project,
    environment,
    submittedBy: 'seed',
    now: now - 86_400_000,
  });
  await storePlanSnapshots({ db, project, diff });
  await updatePlan(db, planId, { status: 'applying' });
  await finalizePlan({ db, diff, planId });

  const runId = `sluice-run-${environment}-20260101T0000Z`;
  const ran = models.filter((m) => m.status !== null);
  await createRun(db, {
    id: runId,
    environment,
    trigger: 'schedule',
    scheduledAt: now - 3_600_000,
    models: ran.map((m) => m.name),
  });
  await updateRunStatus(db, runId, 'running', { at: now - 3_600_000 });
  for (const [i, model] of ran.entries()) {
    const queued = await recordExecutionQueued(db, {
      id: `exec-${environment}-${i}`,
      runId,
      model: model.name,
      snapshotId: diff.snapshotMap[model.name]!,
      interval: null,
      queuedAt: now - 3_600_000 + i,
    });
    await recordExecutionStarted(db, queued.id, {
      attempt: 1,
      executor: 'run@seed',
      at: now - 3_000_000 + i,
    });
    if (model.status === 'running') continue;
    await recordExecutionFinished(db, queued.id, {
      status: model.status!,
      at: now - 2_000_000 + i,
      ...(model.status === 'failed' ? { error: `Binder Error: column "x" not found in ${model.name}` } : {}),
    });
  }
  for (const model of models.filter((m) => m.paused)) {
    await pause(db, { environment, model: model.name, reason: 'source late', pausedBy: 'seed' });
  }
}

/** The generated project of `count` models, written under `dir` and loaded. */
export function generatedProject(dir: string, count: number): { project: Project; models: GeneratedModel[] } {
  const models = generatedModels(count);
  return {
    project: loadProject(writeGeneratedProject(dir, models), { now: Date.UTC(2026, 0, 2), env: {} }),
    models,
  };
}
