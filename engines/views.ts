/**
 * The virtual layer: environments are views over snapshots' physical tables. Promoting points an
 * environment's views (`<schema>.<name>` in prod, `<schema>__<env>.<name>` elsewhere) at physical
 * tables, so deploying a plan swaps views instead of copying data; dropping removes views; the
 * janitor drops physical tables no environment uses any more.
 */

import type { ExecutionRequest } from '../core/execution/request.ts';
import { environmentView, PROD_ENVIRONMENT, validateEnvironmentName } from '../core/naming.ts';
import type { ViewEntry } from '../core/plan/types.ts';
import type { Engine } from './engine.ts';
import { quoteLiteral, splitQualifiedName } from './quote.ts';

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

/** What taking an environment down left: the schemas dropped, and those kept because they hold other objects. */
export interface DroppedEnvironment {
  schemas: string[];
  keptSchemas: string[];
}

/**
 * Takes a non-prod environment down on one gateway: drops its views of `models`, then each of its
 * schemas (`<schema>__<env>`) that holds nothing else. Every step is idempotent, so a retried or
 * resumed deletion finishes what an interrupted one began.
 */
export async function dropEnvironment(
  engine: Engine,
  environment: string,
  models: readonly string[],
): Promise<DroppedEnvironment> {
  validateEnvironmentName(environment);
  if (environment === PROD_ENVIRONMENT) throw new Error('the prod environment cannot be dropped');
  await dropViews(engine, environment, models);
  const result: DroppedEnvironment = { schemas: [], keptSchemas: [] };
  const schemas = [...new Set(models.map((model) => environmentView(model, environment).schema))].sort();
  for (const schema of schemas) {
    if (await dropSchemaIfEmpty(engine, schema)) result.schemas.push(schema);
    else result.keptSchemas.push(schema);
  }
  return result;
}

/** Drops the schema if it holds no table or view; false when it holds some and was kept. */
async function dropSchemaIfEmpty(engine: Engine, schema: string): Promise<boolean> {
  const held = await engine.queryScalar(
    `SELECT count(*) FROM information_schema.tables WHERE table_schema = ${quoteLiteral(schema)}`,
  );
  if (Number(held) > 0) return false;
  await engine.runInTransaction([{ sql: `DROP SCHEMA IF EXISTS ${engine.quoteIdentifier(schema)}` }]);
  return true;
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
