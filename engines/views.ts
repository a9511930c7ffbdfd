/**
 * The virtual layer: environments are views over snapshots' physical tables. Promoting points an
 * environment's views (`<schema>.<name>` in prod, `<schema>__<env>.<name>` elsewhere) at physical
 * tables, so deploying a plan swaps views instead of copying data; dropping removes views; the
 * janitor drops physical tables no environment uses any more.
 */

import type { ExecutionRequest } from '../core/execution/request.ts';
import { environmentView, validateEnvironmentName } from '../core/naming.ts';
import type { ViewEntry } from '../core/plan/types.ts';
import type { Engine } from './engine.ts';
import { splitQualifiedName } from './quote.ts';

/** Creates every physical schema the requests write to, once each. */
export async function ensurePhysicalSchemas(
  engine: Engine,
  requests: ReadonlyArray<Pick<ExecutionRequest, 'physical'>>,
): Promise<void> {
  const schemas = [...new Set(requests.map((request) => request.physical.schema))].sort();
  for (const schema of schemas) await engine.createSchema(schema);
}

/** Points `environment`'s view of each model at its physical table, creating schemas as needed. */
export async function promoteViews(
  engine: Engine,
  environment: string,
  entries: readonly ViewEntry[],
): Promise<void> {
  validateEnvironmentName(environment);
  const views = entries.map((entry) => ({
    view: environmentView(entry.model, environment),
    physical: entry.physical,
  }));
  for (const schema of new Set(views.map(({ view }) => view.schema))) await engine.createSchema(schema);
  for (const { view, physical } of views) {
    await engine.createOrReplaceView(view.qualified, `SELECT * FROM ${engine.quoteQualifiedName(physical)}`);
  }
}

/** Drops `environment`'s views of `models` (those that exist). */
export async function dropViews(
  engine: Engine,
  environment: string,
  models: readonly string[],
): Promise<void> {
  validateEnvironmentName(environment);
  for (const model of models) await engine.dropView(environmentView(model, environment).qualified);
}

/**
 * Drops physical tables by SQL name; a VIEW model's physical object is a view and is dropped as
 * one. Names that no longer exist are skipped.
 */
export async function dropPhysicalTables(engine: Engine, qualifiedNames: readonly string[]): Promise<void> {
  for (const name of qualifiedNames) {
    const parts = splitQualifiedName(name);
    const table = parts[parts.length - 1]!;
    const schema = parts[parts.length - 2];
    if (schema === undefined) throw new Error(`physical table name ${JSON.stringify(name)} has no schema`);
    if (await engine.tableExists(schema, table)) await engine.dropTable(name);
    else await engine.dropView(name);
  }
}
