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

/** A value of a query's result, JSON-safe (see engines/query-values.ts for how each type maps). */
export type QueryValue = string | number | boolean | null | QueryValue[] | { [key: string]: QueryValue };

export interface ReadQueryOptions {
  /** the most rows to return; one more is read to tell whether there were more. */
  limit: number;
  /** the most bytes the rows may take as JSON; the rows that would pass it are left out. */
  maxBytes: number;
  /** the statement is stopped on the warehouse when it runs longer (QUERY_TIMEOUT). */
  timeoutMs: number;
  /** aborting stops the statement (CANCELLED). */
  signal?: AbortSignal;
}

export interface QueryRows {
  columns: ColumnInfo[];
  /** one array per row, values in the order of `columns`. */
  rows: QueryValue[][];
  /** why rows were left out: the row limit, the byte cap, or null when every row is here. */
  truncatedBy: 'rows' | 'bytes' | null;
  durationMs: number;
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

  /**
   * Runs one read-only statement for a person looking at the data (`sluice fetchdf`) and returns its
   * first rows. The engine enforces read-only itself (QUERY_NOT_READ_ONLY): DuckDB by the prepared
   * statement's type, PostgreSQL by a read-only transaction that is rolled back. Nothing is kept.
   */
  readQuery(sql: string, options: ReadQueryOptions): Promise<QueryRows>;

  createSchema(name: string): Promise<void>;
  /** `qualifiedName` is a dotted name (`schema.view`); each part is quoted by the engine. */
  createOrReplaceView(qualifiedName: string, selectSql: string): Promise<void>;
  /** Drops the view if it exists. */
  dropView(qualifiedName: string): Promise<void>;
  /** Drops the table if it exists. */
  dropTable(qualifiedName: string): Promise<void>;
  /** Drops the schema if it exists and holds nothing; a schema that still holds objects is kept (false). */
  dropEmptySchema(name: string): Promise<boolean>;
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
