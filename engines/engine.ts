/**
 * The one interface every warehouse engine implements. Executors run model SQL through
 * `runInTransaction`, which reports counts and timings but never data rows; the small read methods
 * exist for sluice's own metadata (audit counts, introspection) and are not a way to fetch model data.
 */

import type { GatewayType } from '../core/project/types.ts';

export interface Statement {
  sql: string;
  /** what the statement is for, usually the model name; repeated in results and errors. */
  label?: string;
}

export interface StatementResult {
  label?: string;
  /**
   * Rows the statement changed: Postgres's command count (INSERT, UPDATE, DELETE, MERGE, and
   * CREATE TABLE AS, which Postgres reports like a SELECT); DuckDB's changed-row count for DML.
   * Null when the engine reports none (DDL, most utility statements) and for an entry that holds
   * several statements.
   */
  rowsAffected: number | null;
  durationMs: number;
  /** messages the server raised while the statement ran (Postgres `RAISE NOTICE`, warnings). */
  notices: string[];
}

export interface TransactionOptions {
  /** aborting stops the running statement on the warehouse and rolls the transaction back. */
  signal?: AbortSignal;
  /** called after each statement succeeds (before the commit), e.g. to heartbeat progress. */
  onStatement?: (result: StatementResult, index: number) => void;
}

/** A single value from a metadata read, reduced to JSON-safe scalars. */
export type MetadataValue = string | number | boolean | null;

export type MetadataRow = Record<string, MetadataValue>;

export interface ColumnInfo {
  name: string;
  /** the type as the warehouse spells it (`integer`, `character varying(20)`, `DECIMAL(10,2)`). */
  type: string;
}

/** The most rows a metadata read may return. */
export const MAX_METADATA_ROWS = 10_000;

export interface Engine {
  readonly gateway: string;
  readonly type: GatewayType;

  /**
   * Runs every statement in one transaction and commits at the end; any failure or abort rolls
   * everything back. Results come in statement order.
   */
  runInTransaction(
    statements: readonly Statement[],
    options?: TransactionOptions,
  ): Promise<StatementResult[]>;

  /** Metadata only: the first column of the first row, or null when there is no row. */
  queryScalar(sql: string): Promise<MetadataValue>;
  /** Metadata only: at most `limit` rows (capped at MAX_METADATA_ROWS). */
  queryRows(sql: string, limit: number): Promise<MetadataRow[]>;

  createSchema(name: string): Promise<void>;
  /** `qualifiedName` is a dotted name (`schema.view`); each part is quoted by the engine. */
  createOrReplaceView(qualifiedName: string, selectSql: string): Promise<void>;
  /** Drops the view if it exists. */
  dropView(qualifiedName: string): Promise<void>;
  /** Drops the table if it exists. */
  dropTable(qualifiedName: string): Promise<void>;
  /** Whether a base table (not a view) of that name exists. */
  tableExists(schema: string, table: string): Promise<boolean>;
  /** The columns of a table or view in declaration order; empty when there is no such relation. */
  columns(schema: string, table: string): Promise<ColumnInfo[]>;

  quoteIdentifier(name: string): string;
  quoteQualifiedName(qualifiedName: string): string;

  /** Checks the warehouse answers; throws the same errors as any other call. */
  ping(): Promise<void>;
  /** Waits for work in flight, then releases connections. Later calls fail with ENGINE_CLOSED. */
  close(): Promise<void>;
}
