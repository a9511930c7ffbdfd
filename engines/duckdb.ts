/**
 * The DuckDB engine. The database (a file, or in memory) is opened once per process and shared by
 * every gateway that names it (see duckdb-instances.ts); each transaction and each metadata read
 * gets its own connection, closed afterwards. DuckDB allows one writing process per database file:
 * a second executor process opening the same file fails with DATABASE_LOCKED until the first one
 * lets go, so a DuckDB gateway should be served by a single executor.
 */

import {
  type DuckDBConnection,
  type DuckDBInstance,
  ResultReturnType,
  StatementType,
} from '@duckdb/node-api';
import { cancelledError, throwIfAborted } from './cancellation.ts';
import type { DuckDBExtension, DuckDBSettings } from './config.ts';
import { type InstanceLease, leaseInstance } from './duckdb-instances.ts';
import { duckdbQueryValue } from './duckdb-query-values.ts';
import type {
  ColumnInfo,
  Engine,
  MetadataRow,
  MetadataValue,
  QueryRows,
  ReadQueryOptions,
  Statement,
  StatementResult,
  TransactionOptions,
} from './engine.ts';
import {
  ConnectionRejectedError,
  EngineError,
  EngineMemoryLimitError,
  QueryNotReadOnlyError,
  QueryTimeoutError,
  RetryableEngineError,
  SqlExecutionError,
} from './errors.ts';
import { InFlight } from './in-flight.ts';
import { metadataLimit, toMetadataRow } from './metadata.ts';
import { firstKeyword, READ_QUERY_KEYWORDS } from './query-keyword.ts';
import { QueryResultCollector } from './query-result.ts';
import { quoteIdentifier, quoteLiteral, quoteQualifiedName } from './quote.ts';
import { type Redactor, redactorFor } from './redact.ts';
import { holdsSeveralStatements } from './several-statements.ts';

/** connector_config settings whose values are credentials (S3 keys, tokens) and must not leak. */
const SECRET_SETTING = /secret|password|token|key/i;

/** Words a DuckDB query may start with besides the standard ones (FROM-first, PIVOT, DESCRIBE). */
const DUCKDB_READ_KEYWORDS = new Set([
  ...READ_QUERY_KEYWORDS,
  'from',
  'pivot',
  'unpivot',
  'describe',
  'show',
  'summarize',
]);

/** The statement an error belongs to, when one was running. */
interface StatementContext {
  sql: string;
  label?: string;
  index: number;
}

export class DuckDBEngine implements Engine {
  readonly type = 'duckdb';
  readonly gateway: string;
  private lease: Promise<InstanceLease> | undefined;
  private readonly inFlight: InFlight;
  private readonly redact: Redactor;

  constructor(private readonly settings: DuckDBSettings) {
    this.gateway = settings.gateway;
    this.inFlight = new InFlight(settings.gateway);
    this.redact = redactorFor(
      Object.entries(settings.connectorConfig)
        .filter(([key]) => SECRET_SETTING.test(key))
        .map(([, value]) => value),
    );
  }

  runInTransaction(
    statements: readonly Statement[],
    options: TransactionOptions = {},
  ): Promise<StatementResult[]> {
    const { signal, onStatement } = options;
    if (signal?.aborted) return Promise.reject(cancelledError(this.gateway));
    return this.withConnection(async (connection) => {
      throwIfAborted(signal, this.gateway);
      const interrupt = () => connection.interrupt();
      signal?.addEventListener('abort', interrupt);
      let context: StatementContext = { sql: 'BEGIN TRANSACTION', index: 0 };
      let callbackError: { error: unknown } | undefined;
      const results: StatementResult[] = [];
      try {
        await connection.run('BEGIN TRANSACTION');
        for (const [index, statement] of statements.entries()) {
          throwIfAborted(signal, this.gateway);
          context = { sql: statement.sql, label: statement.label, index };
          const started = performance.now();
          const result = await connection.run(statement.sql);
          const done: StatementResult = {
            rowsAffected:
              result.returnType === ResultReturnType.CHANGED_ROWS && !holdsSeveralStatements(statement.sql)
                ? result.rowsChanged
                : null,
            durationMs: performance.now() - started,
            notices: [],
          };
          if (statement.label !== undefined) done.label = statement.label;
          results.push(done);
          try {
            onStatement?.(done, index);
          } catch (error) {
            callbackError = { error };
            throw error;
          }
        }
        throwIfAborted(signal, this.gateway);
        signal?.removeEventListener('abort', interrupt);
        context = { sql: 'COMMIT', index: statements.length };
        await connection.run('COMMIT');
        return results;
      } catch (error) {
        await rollbackQuietly(connection);
        if (callbackError !== undefined) throw callbackError.error;
        if (signal?.aborted) throw cancelledError(this.gateway);
        throw this.translate(error, context);
      } finally {
        signal?.removeEventListener('abort', interrupt);
      }
    });
  }

  async queryScalar(sql: string): Promise<MetadataValue> {
    const rows = await this.readRows(sql, 1);
    const first = rows[0];
    return first === undefined ? null : (Object.values(first)[0] ?? null);
  }

  async queryRows(sql: string, limit: number): Promise<MetadataRow[]> {
    return this.readRows(sql, metadataLimit(limit));
  }

  /**
   * Splits the text into statements and refuses anything but one; prepares it (which binds it
   * without running it) and refuses any statement type but SELECT; then streams its rows inside a
   * transaction that is rolled back. Past the timeout the connection is interrupted.
   */
  readQuery(sql: string, options: ReadQueryOptions): Promise<QueryRows> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(cancelledError(this.gateway));
    return this.withConnection(async (connection) => {
      const started = performance.now();
      let timedOut = false;
      const interrupt = () => connection.interrupt();
      const timer = setTimeout(() => {
        timedOut = true;
        connection.interrupt();
      }, options.timeoutMs);
      signal?.addEventListener('abort', interrupt);
      let inTransaction = false;
      try {
        const extracted = await connection.extractStatements(sql);
        if (extracted.count !== 1) {
          throw new QueryNotReadOnlyError(
            this.gateway,
            extracted.count === 0 ? 'an empty text' : `${extracted.count} statements`,
          );
        }
        await connection.run('BEGIN TRANSACTION');
        inTransaction = true;
        const prepared = await extracted.prepare(0).catch((error: unknown) => {
          // a statement that does not bind (an INSERT into a view) has no type to read: its first
          // word says what it is
          const keyword = firstKeyword(sql);
          if (keyword !== null && keyword !== '' && !DUCKDB_READ_KEYWORDS.has(keyword)) {
            throw new QueryNotReadOnlyError(this.gateway, `a ${keyword.toUpperCase()} statement`);
          }
          throw error;
        });
        try {
          const type = prepared.statementType;
          if (type !== StatementType.SELECT) {
            throw new QueryNotReadOnlyError(
              this.gateway,
              `a ${StatementType[type] ?? `type ${type}`} statement`,
            );
          }
          const result = await prepared.stream();
          const columns = result
            .columnNames()
            .map((name, index) => ({ name, type: result.columnType(index).toString() }));
          const collector = new QueryResultCollector(options);
          for (;;) {
            const chunk = await result.fetchChunk();
            if (chunk === null || chunk.rowCount === 0) break;
            if (!collector.add(chunk.convertRows(duckdbQueryValue))) break;
          }
          return collector.result(columns, performance.now() - started);
        } finally {
          prepared.destroySync();
        }
      } catch (error) {
        if (error instanceof QueryNotReadOnlyError) throw error;
        if (signal?.aborted) throw cancelledError(this.gateway);
        if (timedOut) throw new QueryTimeoutError(this.gateway, options.timeoutMs);
        throw this.translate(error, { sql, index: 0 });
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', interrupt);
        if (inTransaction) await rollbackQuietly(connection);
      }
    });
  }

  async createSchema(name: string): Promise<void> {
    await this.runInTransaction([{ sql: `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(name)}` }]);
  }

  async createOrReplaceView(qualifiedName: string, selectSql: string): Promise<void> {
    await this.runInTransaction([
      { sql: `CREATE OR REPLACE VIEW ${quoteQualifiedName(qualifiedName)} AS ${selectSql}` },
    ]);
  }

  async dropView(qualifiedName: string): Promise<void> {
    await this.runInTransaction([{ sql: `DROP VIEW IF EXISTS ${quoteQualifiedName(qualifiedName)}` }]);
  }

  async dropTable(qualifiedName: string): Promise<void> {
    await this.runInTransaction([{ sql: `DROP TABLE IF EXISTS ${quoteQualifiedName(qualifiedName)}` }]);
  }

  async dropEmptySchema(name: string): Promise<boolean> {
    const held = await this.queryScalar(
      `SELECT count(*) FROM information_schema.tables WHERE table_schema = ${quoteLiteral(name)}`,
    );
    if (Number(held) > 0) return false;
    await this.runInTransaction([{ sql: `DROP SCHEMA IF EXISTS ${quoteIdentifier(name)}` }]);
    return true;
  }

  tableExists(schema: string, table: string): Promise<boolean> {
    const sql = `SELECT count(*) AS n FROM information_schema.tables
      WHERE table_catalog = current_database() AND table_schema = $1 AND table_name = $2
        AND table_type = 'BASE TABLE'`;
    return this.withConnection(async (connection) => {
      const reader = await this.attempt(() => connection.runAndReadAll(sql, [schema, table]), sql);
      const count = reader.getRowsJS()[0]?.[0];
      return count !== undefined && count !== null && Number(count) > 0;
    });
  }

  columns(schema: string, table: string): Promise<ColumnInfo[]> {
    const sql = `SELECT column_name, data_type FROM information_schema.columns
      WHERE table_catalog = current_database() AND table_schema = $1 AND table_name = $2
      ORDER BY ordinal_position`;
    return this.withConnection(async (connection) => {
      const reader = await this.attempt(() => connection.runAndReadAll(sql, [schema, table]), sql);
      return reader.getRowsJS().map(([name, type]) => ({ name: String(name), type: String(type) }));
    });
  }

  quoteIdentifier(name: string): string {
    return quoteIdentifier(name);
  }

  quoteQualifiedName(qualifiedName: string): string {
    return quoteQualifiedName(qualifiedName);
  }

  async ping(): Promise<void> {
    await this.readRows('SELECT 1', 1);
  }

  async close(): Promise<void> {
    await this.inFlight.drain();
    const lease = this.lease;
    this.lease = undefined;
    if (lease === undefined) return;
    try {
      (await lease).release();
    } catch {
      // the database never opened, so there is nothing to release
    }
  }

  private readRows(sql: string, limit: number): Promise<MetadataRow[]> {
    return this.withConnection(async (connection) => {
      const reader = await this.attempt(() => connection.streamAndReadUntil(sql, limit), sql);
      return reader
        .getRowObjectsJS()
        .slice(0, limit)
        .map((row) => toMetadataRow(row));
    });
  }

  /** Runs a metadata statement, turning a failure into an engine error. */
  private async attempt<T>(operation: () => Promise<T>, sql: string): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw this.translate(error, { sql, index: 0 });
    }
  }

  private withConnection<T>(use: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.inFlight.run(async () => {
      const instance = await this.instance();
      let connection: DuckDBConnection;
      try {
        connection = await instance.connect();
      } catch (error) {
        throw this.translate(error, undefined);
      }
      try {
        return await use(connection);
      } finally {
        connection.closeSync();
      }
    });
  }

  private async instance(): Promise<DuckDBInstance> {
    if (this.lease === undefined) {
      const lease = this.open();
      this.lease = lease;
      lease.catch(() => {
        if (this.lease === lease) this.lease = undefined;
      });
    }
    return (await this.lease).instance;
  }

  private async open(): Promise<InstanceLease> {
    let lease: InstanceLease;
    try {
      lease = await leaseInstance(this.settings.database, this.settings.connectorConfig);
    } catch (error) {
      throw this.translate(error, undefined);
    }
    if (this.settings.extensions.length === 0) return lease;
    try {
      const connection = await lease.instance.connect();
      try {
        for (const extension of this.settings.extensions) await this.loadExtension(connection, extension);
      } finally {
        connection.closeSync();
      }
    } catch (error) {
      lease.release();
      throw error;
    }
    return lease;
  }

  /** Loads an extension, installing it first only when it is not already available. */
  private async loadExtension(connection: DuckDBConnection, extension: DuckDBExtension): Promise<void> {
    const load = `LOAD ${extension.name}`;
    if (!extension.forceInstall) {
      try {
        await connection.run(load);
        return;
      } catch {
        // not installed yet: install it below
      }
    }
    const from = extension.repository === undefined ? '' : ` FROM ${repositoryClause(extension.repository)}`;
    const install = `${extension.forceInstall ? 'FORCE ' : ''}INSTALL ${extension.name}${from}`;
    for (const sql of [install, load]) {
      try {
        await connection.run(sql);
      } catch (error) {
        const failure = this.translate(error, { sql, index: 0 });
        throw new ConnectionRejectedError(
          `gateway "${this.gateway}": cannot load DuckDB extension "${extension.name}": ${
            failure instanceof SqlExecutionError ? failure.engineMessage : failure.message
          }`,
          this.gateway,
        );
      }
    }
  }

  private translate(error: unknown, context: StatementContext | undefined): EngineError {
    if (error instanceof EngineError) return error;
    const message = this.redact(error instanceof Error ? error.message : String(error));
    const kind = /^([A-Za-z][A-Za-z ]*?) Error: /.exec(message)?.[1] ?? '';
    const where = `gateway "${this.gateway}"`;
    if (/Could not set lock on file/i.test(message)) {
      return new RetryableEngineError(
        'DATABASE_LOCKED',
        `${where}: DuckDB database ${this.settings.database} is in use by another process: ${message}`,
        this.gateway,
      );
    }
    if (kind === 'TransactionContext' && /conflict/i.test(message)) {
      return new RetryableEngineError('TRANSACTION_CONFLICT', `${where}: ${message}`, this.gateway);
    }
    if (kind === 'INTERRUPT') {
      return new RetryableEngineError(
        'STATEMENT_TIMEOUT',
        `${where}: statement interrupted: ${message}`,
        this.gateway,
      );
    }
    if (kind === 'Out of Memory') {
      const limit = Object.entries(this.settings.connectorConfig).find(([key]) =>
        /^(memory_limit|max_memory)$/i.test(key),
      )?.[1];
      const engineMessage = message.split('\n')[0]!.trim();
      return new EngineMemoryLimitError(
        `${where}: DuckDB reached its memory_limit (${limit ?? 'its default'}): ${engineMessage}`,
        this.gateway,
        limit,
        engineMessage,
      );
    }
    if (kind === 'FATAL' || kind === 'Connection') {
      return new RetryableEngineError('ENGINE_FAILURE', `${where}: ${message}`, this.gateway);
    }
    if (context === undefined) {
      return new ConnectionRejectedError(
        `${where}: cannot open DuckDB database ${this.settings.database}: ${message}`,
        this.gateway,
      );
    }
    const fields = {
      gateway: this.gateway,
      engineMessage: message,
      statement: this.redact(context.sql),
      statementIndex: context.index,
    };
    return new SqlExecutionError(context.label === undefined ? fields : { ...fields, label: context.label });
  }
}

async function rollbackQuietly(connection: DuckDBConnection): Promise<void> {
  try {
    await connection.run('ROLLBACK');
  } catch {
    // no transaction is open any more (DuckDB already rolled it back), or the connection is
    // unusable; closing it discards whatever was left uncommitted
  }
}

function repositoryClause(repository: string): string {
  return /^[A-Za-z0-9_]+$/.test(repository) ? repository : `'${repository.replaceAll("'", "''")}'`;
}
