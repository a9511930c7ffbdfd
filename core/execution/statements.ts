/**
 * The statements that execute one batch of a model, per kind. Every batch is idempotent (running
 * it again after it committed leaves the table as one run did) and atomic (the executor runs all
 * its statements in one transaction):
 *
 * - VIEW: `CREATE OR REPLACE VIEW` of the query (a materialized view is a table rebuilt like FULL).
 * - FULL: the table is created empty from the query's shape if it is missing, emptied, and filled
 *   with the query's rows. The table is never dropped, so environment views that read it stay valid
 *   (PostgreSQL refuses to drop a table a view depends on).
 * - INCREMENTAL_BY_TIME_RANGE: the batch's interval is deleted on `time_column`, then the query's
 *   rows inside the same interval are inserted (the query's output is filtered too, as SQLMesh does).
 * - INCREMENTAL_BY_UNIQUE_KEY: the query is staged in a temporary table, target rows whose key
 *   matches a staged key are deleted, and one staged row per key is inserted. Keys match with `=`,
 *   and keys holding a NULL match by `IS NOT DISTINCT FROM`, so re-running never duplicates rows.
 * - SEED: the table is created with the seed's columns, emptied, and loaded from the CSV.
 * - EMBEDDED: has no table; asking to execute one is an error.
 */

import type { Interval } from '../intervals.ts';
import { physicalTable, quoteIdentifier } from '../naming.ts';
import type { Model } from '../project/types.ts';
import type { AuditCheck, ExecutionRequest, RenderedAudit, Statement } from './request.ts';
import { seedLoad } from './seed.ts';
import { identifierName, subquery } from './sql-text.ts';
import { timeRangeCondition } from './time-filter.ts';

export interface ExecutionInput {
  model: Model;
  fingerprint: string;
  /** the model's query, rendered for this batch (see core/render.ts); unused for SEED models. */
  query: string;
  /** the batch's interval; required for INCREMENTAL_BY_TIME_RANGE models. */
  interval?: Interval;
  audits?: RenderedAudit[];
}

export class ExecutionBuildError extends Error {
  constructor(model: string, problem: string) {
    super(`model "${model}": ${problem}`);
    this.name = 'ExecutionBuildError';
  }
}

const EMBEDDED_HAS_NO_TABLE = 'EMBEDDED models have no table: they are inlined where referenced';

/** Alias of the model's query where it is used as a FROM item. */
const QUERY_ALIAS = 'sluice_query';
/** Session-private table holding an INCREMENTAL_BY_UNIQUE_KEY batch's rows. */
const STAGE_TABLE = 'sluice_stage';

interface Plan {
  create: string[];
  write: string[];
  /** indexes, within `write`, of the statements that write the batch's rows. */
  counted: number[];
}

export function buildExecution(input: ExecutionInput): ExecutionRequest {
  const { model } = input;
  if (model.kind.name === 'EMBEDDED') {
    throw new ExecutionBuildError(model.name, EMBEDDED_HAS_NO_TABLE);
  }
  const physical = physicalTable(model.name, input.fingerprint);
  const target = physical.qualified;
  const schema = `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(physical.schema)}`;
  if (model.kind.name !== 'SEED' && input.query.trim() === '') {
    throw new ExecutionBuildError(model.name, 'the rendered query is empty');
  }
  const plan = planFor(input, target, physical);
  const statements: Statement[] = [schema, ...plan.create, ...plan.write].map((sql) => ({
    sql,
    label: model.name,
  }));
  const createStatements = 1 + plan.create.length;
  const request: ExecutionRequest = {
    model: model.name,
    snapshot: input.fingerprint,
    kind: model.kind.name,
    statements,
    createStatements,
    writeStatements: plan.counted.map((i) => createStatements + i),
    audits: (input.audits ?? []).map(auditCheck),
    physical: { schema: physical.schema, table: physical.table },
  };
  if (model.gateway !== undefined) request.gateway = model.gateway;
  return request;
}

/** Wraps an audit query so it returns the number of offending rows. */
export function auditCheck(audit: RenderedAudit): AuditCheck {
  return {
    name: audit.name,
    blocking: audit.blocking,
    sql: `SELECT COUNT(*) FROM ${subquery(audit.query, 'audit')}`,
  };
}

function planFor(input: ExecutionInput, target: string, physical: { schema: string; table: string }): Plan {
  const { model, query } = input;
  const kind = model.kind;
  const source = `SELECT * FROM ${subquery(query, QUERY_ALIAS)}`;
  const createEmpty = `CREATE TABLE IF NOT EXISTS ${target} AS ${source} LIMIT 0`;
  switch (kind.name) {
    case 'VIEW':
      if (kind.materialized) return rebuild(target, createEmpty, source);
      return { create: [`CREATE OR REPLACE VIEW ${target} AS\n${query}\n`], write: [], counted: [] };
    case 'FULL':
      return rebuild(target, createEmpty, source);
    case 'INCREMENTAL_BY_TIME_RANGE': {
      if (input.interval === undefined) {
        throw new ExecutionBuildError(model.name, 'an INCREMENTAL_BY_TIME_RANGE batch needs an interval');
      }
      const time =
        kind.timeColumnFormat === undefined
          ? { column: kind.timeColumn }
          : { column: kind.timeColumn, format: kind.timeColumnFormat };
      let condition: string;
      try {
        condition = timeRangeCondition(time, input.interval, model.columns);
      } catch (error) {
        throw new ExecutionBuildError(model.name, error instanceof Error ? error.message : String(error));
      }
      return {
        create: [createEmpty],
        write: [
          `DELETE FROM ${target} WHERE ${condition}`,
          `INSERT INTO ${target}\n${source}\nWHERE ${condition}`,
        ],
        counted: [1],
      };
    }
    case 'INCREMENTAL_BY_UNIQUE_KEY': {
      const keys = kind.uniqueKey.map((key) => quoteIdentifier(identifierName(key)));
      const matches = (operator: string) =>
        keys.map((k) => `sluice_target.${k} ${operator} sluice_source.${k}`).join(' AND ');
      const exists = (operator: string) =>
        `EXISTS (SELECT 1 FROM ${STAGE_TABLE} AS sluice_source WHERE ${matches(operator)})`;
      const nullKey = keys.map((k) => `sluice_target.${k} IS NULL`).join(' OR ');
      return {
        create: [createEmpty],
        write: [
          `CREATE TEMPORARY TABLE ${STAGE_TABLE} AS ${source}`,
          `DELETE FROM ${target} AS sluice_target WHERE ${exists('=')}`,
          `DELETE FROM ${target} AS sluice_target WHERE (${nullKey}) AND ${exists('IS NOT DISTINCT FROM')}`,
          `INSERT INTO ${target}\nSELECT DISTINCT ON (${keys.join(', ')}) * FROM ${STAGE_TABLE}`,
          `DROP TABLE ${STAGE_TABLE}`,
        ],
        counted: [3],
      };
    }
    case 'SEED': {
      const load = seedLoad(model, physical);
      return {
        create: [load.create],
        write: [`DELETE FROM ${target}`, ...load.inserts],
        counted: load.inserts.map((_, i) => i + 1),
      };
    }
    case 'EMBEDDED':
      throw new ExecutionBuildError(model.name, EMBEDDED_HAS_NO_TABLE);
  }
}

function rebuild(target: string, createEmpty: string, source: string): Plan {
  return {
    create: [createEmpty],
    write: [`DELETE FROM ${target}`, `INSERT INTO ${target}\n${source}`],
    counted: [1],
  };
}
