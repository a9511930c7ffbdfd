/**
 * Where a query asked of an environment (`sluice fetchdf`) runs and what it reads: the gateway (the
 * one asked for, or the project's default gateway as the environment's last plan stored it), and
 * the query with each model of the environment on that gateway replaced by the environment's view
 * of it (`<schema>.<name>` in prod, `<schema>__<env>.<name>` elsewhere), as SQLMesh's fetchdf
 * renders a query against an environment. A query that reads a model living on another gateway is
 * refused, naming the gateway to ask instead.
 */

import { environmentView } from '../core/naming.ts';
import { resolveModelReferences } from '../core/query/resolve-models.ts';
import { SqlLexError } from '../core/sql/tokenize.ts';
import type { StateDb } from '../db/client.ts';
import { environmentSnapshotMap } from '../state/environments.ts';
import { readStoredProject } from '../state/plan/stored-project.ts';
import { getPlanProject } from '../state/plans.ts';
import { getSnapshots } from '../state/snapshots.ts';
import { ApiError, badRequest, notFound } from './errors.ts';
import { requireEnvironment } from './views/environment-models.ts';

export interface QueryTarget {
  gateway: string;
  /** the query as the executor runs it. */
  sql: string;
  /** the models the query reads, by their names in the project. */
  models: string[];
}

export async function queryTarget(
  db: StateDb,
  environment: string,
  sql: string,
  requestedGateway: string | undefined,
): Promise<QueryTarget> {
  const record = await requireEnvironment(db, environment);
  const map = await environmentSnapshotMap(db, environment);
  const snapshots = await getSnapshots(db, Object.values(map));
  const gatewayOf = new Map(snapshots.map((snapshot) => [snapshot.name, snapshot.gateway]));
  const embedded = new Set(snapshots.filter((s) => s.kind === 'EMBEDDED').map((s) => s.name));
  const project = record.planId === null ? null : await getPlanProject(db, record.planId).catch(() => null);
  const config = project === null ? null : readStoredProject(project, record.planId!).config;
  const known = [...new Set([...Object.keys(config?.gateways ?? {}), ...gatewayOf.values()])].sort();

  let gateway: string;
  if (requestedGateway !== undefined) {
    gateway = requestedGateway.toLowerCase();
    if (!known.includes(gateway)) {
      throw notFound(
        `environment "${environment}" has no gateway "${requestedGateway}" (its gateways: ${known.join(', ') || 'none'})`,
        { environment, gateway: requestedGateway, gateways: known },
      );
    }
  } else if (config !== null) {
    gateway = config.defaultGateway;
  } else if (known.length === 1) {
    gateway = known[0]!;
  } else {
    throw badRequest(
      `environment "${environment}" has models on ${known.length === 0 ? 'no gateway' : `gateways ${known.join(', ')}`} and no stored default gateway; name one with gateway`,
      { environment, gateways: known },
    );
  }

  let resolved: ReturnType<typeof resolveModelReferences>;
  try {
    resolved = resolveModelReferences(sql, (model) =>
      gatewayOf.get(model) === gateway && !embedded.has(model)
        ? environmentView(model, environment).qualified
        : undefined,
    );
  } catch (error) {
    if (error instanceof SqlLexError) {
      throw badRequest(`sql: line ${error.line}: ${error.message}`, { field: 'sql', line: error.line });
    }
    throw error;
  }
  const models = [...new Set(resolved.references.filter((name) => gatewayOf.has(name)))];
  for (const model of models) {
    if (embedded.has(model)) {
      throw new ApiError(
        422,
        'query_failed',
        `the query reads model ${model}, which is EMBEDDED: it has no view in environment "${environment}", only the queries that read it`,
        { model },
      );
    }
    const elsewhere = gatewayOf.get(model)!;
    if (elsewhere !== gateway) {
      throw new ApiError(
        422,
        'query_failed',
        `the query reads model ${model}, which environment "${environment}" keeps on gateway "${elsewhere}", not "${gateway}"; query it with gateway "${elsewhere}"`,
        { model, gateway: elsewhere },
      );
    }
  }
  return { gateway, sql: resolved.sql, models };
}
