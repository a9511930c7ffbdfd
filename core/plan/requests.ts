/**
 * The warehouse work of a plan, prepared as execution requests (core/execution). Every query is
 * rendered against the plan's NEW snapshot map: a model reads the physical tables of the
 * snapshots the environment will map its upstream models to, so a development backfill reads the
 * development versions and never the production ones it replaces.
 */
import { renderAudits } from '../execution/audits.ts';
import type { ExecutionRequest } from '../execution/request.ts';
import { buildExecution } from '../execution/statements.ts';
import { fingerprintProject } from '../fingerprint.ts';
import { addUnits, floorToUnit } from '../interval-unit.ts';
import type { Interval } from '../intervals.ts';
import { physicalTable } from '../naming.ts';
import type { Model, Project } from '../project/types.ts';
import { renderQuery } from '../render.ts';
import { snapshotIdOf } from './diff.ts';
import type { BackfillEntry, PlanDiff } from './types.ts';

export interface PreparedRequest {
  request: ExecutionRequest;
  /** the model's query as rendered for the batch. */
  renderedSql: string;
  gateway: string;
}

/** The fingerprint part of a snapshot id (`<model name>@<fingerprint>`). */
export function fingerprintOf(snapshotId: string): string {
  const at = snapshotId.lastIndexOf('@');
  if (at <= 0 || at === snapshotId.length - 1) {
    throw new Error(`snapshot id "${snapshotId}" must look like <model name>@<fingerprint>`);
  }
  return snapshotId.slice(at + 1);
}

/** The gateway a model runs on: its own, or the project's default. */
export function gatewayOf(project: Project, model: Model): string {
  return model.gateway ?? project.config.defaultGateway;
}

/**
 * Checks that `project` is the project the diff was computed from: every model the diff maps is
 * in the project with the same fingerprint, and no other model is.
 */
export function checkProjectMatchesDiff(project: Project, diff: PlanDiff): void {
  const fingerprints = fingerprintProject(project.models, project.audits);
  const names = new Set(project.models.map((model) => model.name));
  for (const [name, snapshotId] of Object.entries(diff.snapshotMap)) {
    const fingerprint = fingerprints[name];
    if (!fingerprint) throw new Error(`the plan maps model ${name}, which the project does not define`);
    if (snapshotIdOf(name, fingerprint.fingerprint) !== snapshotId) {
      throw new Error(
        `model ${name} changed since the plan was computed (plan has ${snapshotId}, project has ` +
          `${snapshotIdOf(name, fingerprint.fingerprint)}): compute the plan again`,
      );
    }
    names.delete(name);
  }
  const extra = [...names].sort();
  if (extra.length > 0)
    throw new Error(`the project defines ${extra.join(', ')}, which the plan does not map`);
}

/** model name → SQL name of the physical table its snapshot in the plan's new map owns. */
export function planTables(project: Project, diff: PlanDiff): Record<string, string> {
  const tables: Record<string, string> = {};
  for (const model of project.models) {
    const snapshotId = diff.snapshotMap[model.name];
    if (snapshotId === undefined || model.kind.name === 'EMBEDDED') continue;
    tables[model.name] = physicalTable(model.name, fingerprintOf(snapshotId)).qualified;
  }
  return tables;
}

/**
 * What rendering any batch of a plan, or creating any of its tables, needs from the whole project
 * and diff, worked out once: the physical tables of the plan's new map, the models by name with
 * their place in the project, the new snapshots and the backfill entries. With it, preparing one
 * batch costs the same in a project of ten models as in one of ten thousand.
 */
export interface PlanIndex {
  /** model name → SQL name of the physical table its snapshot in the plan's new map owns. */
  tables: Readonly<Record<string, string>>;
  /** model name → the project's model of that name (the first, were a name given twice). */
  models: ReadonlyMap<string, Model>;
  /** model name → the index of that model in `project.models`. */
  positions: ReadonlyMap<string, number>;
  /** the snapshot ids the plan creates. */
  fresh: ReadonlySet<string>;
  /** snapshot id → its backfill entry (the last, were one listed twice). */
  backfill: ReadonlyMap<string, BackfillEntry>;
}

export function planIndex(project: Project, diff: PlanDiff): PlanIndex {
  const models = new Map<string, Model>();
  const positions = new Map<string, number>();
  project.models.forEach((model, index) => {
    if (positions.has(model.name)) return;
    models.set(model.name, model);
    positions.set(model.name, index);
  });
  return {
    tables: planTables(project, diff),
    models,
    positions,
    fresh: new Set(diff.newSnapshots.map((snapshot) => snapshot.snapshotId)),
    backfill: new Map(diff.backfill.map((entry) => [entry.snapshotId, entry])),
  };
}

function modelNamed(index: PlanIndex, name: string): Model {
  const model = index.models.get(name);
  if (!model) throw new Error(`the plan names model ${name}, which the project does not define`);
  return model;
}

/** The request that executes one batch of a backfill entry (`interval` null: the whole entry at once). */
export function batchRequest(
  project: Project,
  diff: PlanDiff,
  entry: Pick<BackfillEntry, 'model' | 'snapshotId'>,
  interval: Interval | null,
  index: PlanIndex = planIndex(project, diff),
): PreparedRequest {
  const model = modelNamed(index, entry.model);
  const range = interval ?? undefined;
  const rendered = {
    model,
    models: index.models,
    tables: index.tables,
    execution: diff.now,
    ...(range ? { interval: range } : {}),
  };
  const renderedSql = model.kind.name === 'SEED' ? '' : renderQuery(rendered);
  const audits = renderAudits({ ...rendered, audits: project.audits });
  const request = buildExecution({
    model,
    fingerprint: fingerprintOf(entry.snapshotId),
    query: renderedSql,
    ...(range ? { interval: range } : {}),
    audits,
  });
  return { request, renderedSql, gateway: gatewayOf(project, model) };
}

/**
 * The interval a batch of `entry` covers: each batch's own for batched entries; for a single
 * execution, the span of every interval it completes (none when the entry has none).
 */
export function executionIntervals(entry: BackfillEntry): Array<Interval | null> {
  if (entry.execution === 'batched') return entry.intervals;
  const first = entry.intervals[0];
  const last = entry.intervals[entry.intervals.length - 1];
  return [first && last ? [first[0], last[1]] : null];
}

/**
 * Requests that create the physical tables (or views) of the plan's new snapshots without data,
 * in dependency order. A model's table is created from its query's shape, rendered for its first
 * backfill interval, or for its first interval when it has nothing to backfill. `only` limits them to
 * the named models; only those are looked at, so asking for a few tables of a large plan costs
 * what those few cost (given the plan's `index`, worked out once).
 */
export function creationRequests(
  project: Project,
  diff: PlanDiff,
  only?: ReadonlySet<string>,
  index: PlanIndex = planIndex(project, diff),
): PreparedRequest[] {
  const candidates =
    only === undefined
      ? project.models
      : [...only]
          .flatMap((name) => {
            const position = index.positions.get(name);
            return position === undefined ? [] : [position];
          })
          .sort((a, b) => a - b)
          .map((position) => project.models[position]!);
  const prepared: PreparedRequest[] = [];
  for (const model of candidates) {
    const snapshotId = diff.snapshotMap[model.name];
    if (snapshotId === undefined || !index.fresh.has(snapshotId) || model.kind.name === 'EMBEDDED') continue;
    const entry = index.backfill.get(snapshotId);
    const interval = entry ? (executionIntervals(entry)[0] ?? null) : firstInterval(model);
    prepared.push(batchRequest(project, diff, { model: model.name, snapshotId }, interval, index));
  }
  return prepared;
}

function firstInterval(model: Model): Interval | null {
  if (model.kind.name !== 'INCREMENTAL_BY_TIME_RANGE' && model.kind.name !== 'INCREMENTAL_BY_UNIQUE_KEY')
    return null;
  const start = floorToUnit(model.start.ms, model.intervalUnit);
  return [start, addUnits(start, model.intervalUnit, 1)];
}
