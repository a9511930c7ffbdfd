import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeBatch } from '../../../activities/execution/execute-batch.ts';
import { renderAudits } from '../../../core/execution/audits.ts';
import { buildExecution } from '../../../core/execution/statements.ts';
import { fingerprintProject } from '../../../core/fingerprint.ts';
import type { Interval } from '../../../core/intervals.ts';
import { environmentView, physicalTable } from '../../../core/naming.ts';
import { loadProject } from '../../../core/project/load.ts';
import type { Model, Project } from '../../../core/project/types.ts';
import { renderQuery } from '../../../core/render.ts';
import { parseTimeValue } from '../../../core/time.ts';
import { promoteViews } from '../../../engines/views.ts';
import { openWarehouse, WAREHOUSES, type Warehouse } from './warehouses.ts';

interface ViewContents {
  columns: Array<{ name: string; type: string }>;
  rows: unknown[][];
}

interface Expected {
  executionTime: string;
  change: { file: string; find: string; replace: string };
  prodIntervals: Record<string, Interval[]>;
  prod: Record<string, ViewContents>;
  devChanged: Record<string, ViewContents>;
}

/**
 * The example project SQLMesh's `init` writes, executed by sluice batch by batch, gives the same
 * tables, column types and rows as SQLMesh itself gave (test/fixtures/sqlmesh-expected), in prod
 * and in a development environment where one model changed.
 */
describe.each(WAREHOUSES)('SQLMesh parity of executed models on %s', (type) => {
  const expected = JSON.parse(
    readFileSync(new URL(`../../fixtures/sqlmesh-expected/${type}.json`, import.meta.url), 'utf8'),
  ) as Expected;
  const execution = parseTimeValue(expected.executionTime, 0);
  const project: Project = loadProject(
    new URL(`../../fixtures/sqlmesh-init-${type}`, import.meta.url).pathname,
    {
      now: execution,
    },
  );
  let w: Warehouse;

  beforeAll(async () => {
    w = await openWarehouse(type, 'parity');
  });

  afterAll(async () => {
    await w?.close();
  });

  /** Executes every model (in order) into the tables its fingerprint names; returns model → table. */
  async function backfill(models: Model[]): Promise<Record<string, string>> {
    const fingerprints = fingerprintProject(models, project.audits);
    const tables = Object.fromEntries(
      models.map((m) => [m.name, physicalTable(m.name, fingerprints[m.name]!.fingerprint).qualified]),
    );
    for (const model of models) {
      const [interval] = expected.prodIntervals[model.name]!;
      const incremental = model.kind.name === 'INCREMENTAL_BY_TIME_RANGE';
      const input = { model, models, tables, execution, ...(incremental ? { interval: interval! } : {}) };
      const query = model.kind.name === 'SEED' ? '' : renderQuery(input);
      const audits = renderAudits({ ...input, audits: project.audits });
      const request = buildExecution({
        model,
        fingerprint: fingerprints[model.name]!.fingerprint,
        query,
        audits,
        ...(incremental ? { interval: interval! } : {}),
      });
      const result = await executeBatch(w.engine, request);
      expect(result.audits.every((a) => a.failingRows === 0)).toBe(true);
    }
    return tables;
  }

  async function viewContents(model: string, environment: string): Promise<ViewContents> {
    const view = environmentView(model, environment);
    const columns = await w.engine.columns(view.schema, view.view);
    const select = columns
      .map((c) => (/^date$/i.test(c.type) ? `CAST(${c.name} AS VARCHAR) AS ${c.name}` : c.name))
      .join(', ');
    const rows = await w.rows(
      `SELECT ${select} FROM ${view.qualified} ORDER BY ${columns.map((_, i) => i + 1).join(', ')}`,
    );
    return { columns, rows: rows.map((row) => columns.map((c) => row[c.name])) };
  }

  it('prod: the same views, column types and rows as SQLMesh', async () => {
    const tables = await backfill(project.models);
    await promoteViews(
      w.engine,
      'prod',
      project.models.map((m) => ({ model: m.name, physical: tables[m.name]! })),
    );
    for (const model of project.models) {
      expect(await viewContents(model.name, 'prod'), model.name).toEqual(expected.prod[model.name]);
    }
  });

  it('dev with a changed model: new versions read each other, unchanged ones are shared', async () => {
    const changed = project.models.map((m) =>
      m.location.file.endsWith(expected.change.file)
        ? { ...m, query: m.query.replace(expected.change.find, expected.change.replace) }
        : m,
    );
    expect(changed.some((m, i) => m.query !== project.models[i]!.query)).toBe(true);
    const tables = await backfill(changed);
    const prodFingerprints = fingerprintProject(project.models, project.audits);
    const devFingerprints = fingerprintProject(changed, project.audits);
    expect(devFingerprints['sqlmesh_example.seed_model']).toEqual(
      prodFingerprints['sqlmesh_example.seed_model'],
    );
    expect(devFingerprints['sqlmesh_example.full_model']).not.toEqual(
      prodFingerprints['sqlmesh_example.full_model'],
    );
    await promoteViews(
      w.engine,
      'dev',
      changed.map((m) => ({ model: m.name, physical: tables[m.name]! })),
    );
    for (const model of changed) {
      expect(await viewContents(model.name, 'dev'), model.name).toEqual(expected.devChanged[model.name]);
      expect(await viewContents(model.name, 'prod'), model.name).toEqual(expected.prod[model.name]);
    }
  });
});
