/**
 * The Postgres engine, on postgres.js. It holds up to `concurrent_tasks` connections as separate
 * single-connection lanes rather than one shared pool: a server notice carries nothing that names
 * its session, and a lane serves one operation at a time, so every notice it receives belongs to
 * the statement that lane is running. Transactions use the simple query protocol, so one entry may
 * hold several statements and nothing is prepared (safe behind transaction-mode poolers).
 */

import postgres from 'postgres';
import { cancelledError, throwIfAborted } from './cancellation.ts';
import type { PostgresSettings, SslMode } from './config.ts';
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
  QueryNotReadOnlyError,
  QueryTimeoutError,
  RetryableEngineError,
  type RetryableErrorCode,
  SqlExecutionError,
} from './errors.ts';
import { closedError, InFlight } from './in-flight.ts';
import { metadataLimit, parseInteger, toMetadataRow } from './metadata.ts';
import { firstKeyword, READ_QUERY_KEYWORDS } from './query-keyword.ts';
import { QueryResultCollector } from './query-result.ts';
import { toQueryValue } from './query-values.ts';
import { quoteIdentifier, quoteLiteral, quoteQualifiedName } from './quote.ts';
import { type Redactor, redactorFor } from './redact.ts';
import { holdsSeveralStatements } from './several-statements.ts';

type Sql = postgres.Sql<Record<string, unknown>>;

/** One connection, serving one operation at a time. */
interface Lane {
  sql: Sql;
  /** where notices go while the lane runs a statement; null when nobody listens. */
  notices: string[] | null;
  /** bumped whenever the lane's connection closes: a different value means a different session. */
  session: number;
  /** set when the session may be left inside a transaction; the lane gets a new client. */
  broken: boolean;
}

type RunStatement = (sql: string, context: StatementContext) => Promise<unknown>;

/** Carries an error thrown by the caller's onStatement callback through the rollback, untouched. */
class CallbackFailure {
  constructor(readonly error: unknown) {}
}

/** The statement an error belongs to. */
interface StatementContext {
  sql: string;
  label?: string;
  index: number;
}

/** Postgres refuses to change a view's columns in place with these; the view is dropped and recreated. */
const VIEW_SHAPE_CHANGED = new Set(['42P16', '42804']);

const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);
const CONNECT_TIMEOUTS = new Set(['CONNECT_TIMEOUT', 'ETIMEDOUT']);
const CONNECTION_LOSSES = new Set(['CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'ECONNRESET', 'EPIPE']);

export class PostgresEngine implements Engine {
  readonly type = 'postgres';
  readonly gateway: string;
  private readonly lanes: Lane[];
  private readonly idle: Lane[];
  private readonly waiting: Array<{ grant: (lane: Lane) => void; refuse: (error: EngineError) => void }> = [];
  private readonly inFlight: InFlight;
  private readonly redact: Redactor;

  constructor(private readonly settings: PostgresSettings) {
    this.gateway = settings.gateway;
    this.inFlight = new InFlight(settings.gateway);
    this.redact = redactorFor(settings.password === undefined ? [] : [settings.password]);
    this.lanes = Array.from({ length: settings.poolSize }, () => this.createLane());
    this.idle = [...this.lanes];
  }

  runInTransaction(
    statements: readonly Statement[],
    options: TransactionOptions = {},
  ): Promise<StatementResult[]> {
    const { signal, onStatement } = options;
    return this.transaction(signal, statements.length, async (run, lane) => {
      const results: StatementResult[] = [];
      for (const [index, statement] of statements.entries()) {
        const notices: string[] = [];
        lane.notices = notices;
        const started = performance.now();
        const result = await run(statement.sql, { sql: statement.sql, label: statement.label, index });
        const done: StatementResult = {
          rowsAffected: holdsSeveralStatements(statement.sql) ? null : commandCount(result),
          durationMs: performance.now() - started,
          notices,
        };
        if (statement.label !== undefined) done.label = statement.label;
        results.push(done);
        try {
          onStatement?.(done, index);
        } catch (error) {
          throw new CallbackFailure(error);
        }
      }
      // notices raised at COMMIT (deferred triggers) land on the last statement's list
      return results;
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
   * Runs the statement in a `BEGIN READ ONLY` transaction with `SET LOCAL statement_timeout`, and
   * rolls it back: PostgreSQL refuses any write (SQLSTATE 25006), and the extended protocol refuses
   * several statements in one text. A statement that does not start as a query (a COPY, a SET)
   * is refused before anything is sent. Rows come through a cursor, a batch at a time, until the
   * limit or the byte cap is reached.
   */
  readQuery(sql: string, options: ReadQueryOptions): Promise<QueryRows> {
    const { signal } = options;
    const keyword = firstKeyword(sql);
    // text the lexer cannot read goes to the server, whose read-only transaction still holds
    if (keyword !== null && !READ_QUERY_KEYWORDS.has(keyword)) {
      return Promise.reject(
        new QueryNotReadOnlyError(
          this.gateway,
          keyword === '' ? 'an empty text' : `a ${keyword.toUpperCase()} statement`,
        ),
      );
    }
    return this.withLane(signal, async (lane) => {
      throwIfAborted(signal, this.gateway);
      const started = performance.now();
      let running: { cancel(): void } | undefined;
      const cancel = () => running?.cancel();
      const execute = async <T>(query: PromiseLike<T> & { cancel(): void }): Promise<T> => {
        running = query;
        try {
          return await query;
        } finally {
          running = undefined;
        }
      };
      let session: number | undefined;
      signal?.addEventListener('abort', cancel);
      try {
        await execute(lane.sql.unsafe('BEGIN READ ONLY').simple());
        session = lane.session;
        const timeout = Math.max(1, Math.ceil(options.timeoutMs));
        await execute(lane.sql.unsafe(`SET LOCAL statement_timeout = ${timeout}`).simple());
        const described = await lane.sql.unsafe(sql).describe();
        const columns = await this.columnTypes(lane, described.columns);
        const collector = new QueryResultCollector(options);
        const query = lane.sql.unsafe(sql).values();
        running = query;
        for await (const batch of query.cursor(Math.min(options.limit + 1, 1000))) {
          this.checkSession(lane, session);
          const rows = (batch as unknown as unknown[][]).map((row) => row.map(toQueryValue));
          if (!collector.add(rows)) break;
        }
        running = undefined;
        return collector.result(columns, performance.now() - started);
      } catch (error) {
        if (signal?.aborted) throw cancelledError(this.gateway);
        throw this.readQueryError(error, sql, options.timeoutMs);
      } finally {
        signal?.removeEventListener('abort', cancel);
        if (session !== undefined && session === lane.session) await this.rollback(lane);
        else if (session !== undefined) lane.broken = true;
      }
    });
  }

  /** The columns of a described statement, each with its type as PostgreSQL spells it. */
  private async columnTypes(
    lane: Lane,
    columns: ReadonlyArray<{ name: string; type: number }>,
  ): Promise<ColumnInfo[]> {
    const oids = [...new Set(columns.map((column) => column.type))];
    const names = new Map<number, string>();
    if (oids.length > 0) {
      const rows = await lane.sql.unsafe(
        'SELECT oid::int8 AS oid, pg_catalog.format_type(oid, NULL) AS name FROM pg_catalog.pg_type WHERE oid = ANY($1::oid[])',
        [`{${oids.join(',')}}`],
      );
      for (const row of rows) names.set(Number(row.oid), String(row.name));
    }
    return columns.map((column) => ({
      name: column.name,
      type: names.get(column.type) ?? `oid ${column.type}`,
    }));
  }

  private readQueryError(error: unknown, sql: string, timeoutMs: number): EngineError {
    if (error instanceof postgres.PostgresError) {
      if (error.code === '57014') return new QueryTimeoutError(this.gateway, timeoutMs);
      if (error.code === '25006') {
        return new QueryNotReadOnlyError(this.gateway, 'a statement that writes', this.redact(error.message));
      }
      if (error.code === '42601' && /multiple commands/i.test(error.message)) {
        return new QueryNotReadOnlyError(this.gateway, 'several statements', this.redact(error.message));
      }
    }
    return this.translate(error, { sql, index: 0 });
  }

  async createSchema(name: string): Promise<void> {
    const sql = `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(name)}`;
    try {
      await this.runInTransaction([{ sql }]);
    } catch (error) {
      // two sessions creating the same schema at once: the loser sees a unique violation
      if (error instanceof SqlExecutionError && (error.sqlState === '23505' || error.sqlState === '42P06')) {
        await this.runInTransaction([{ sql }]);
        return;
      }
      throw error;
    }
  }

  async createOrReplaceView(qualifiedName: string, selectSql: string): Promise<void> {
    const name = quoteQualifiedName(qualifiedName);
    const replace = `CREATE OR REPLACE VIEW ${name} AS ${selectSql}`;
    await this.transaction(undefined, 1, async (run) => {
      await run('SAVEPOINT sluice_replace_view', { sql: 'SAVEPOINT sluice_replace_view', index: 0 });
      try {
        await run(replace, { sql: replace, index: 0 });
      } catch (error) {
        if (!(error instanceof postgres.PostgresError && VIEW_SHAPE_CHANGED.has(error.code))) throw error;
        const back = 'ROLLBACK TO SAVEPOINT sluice_replace_view';
        await run(back, { sql: back, index: 0 });
        const drop = `DROP VIEW IF EXISTS ${name}`;
        await run(drop, { sql: drop, index: 0 });
        const create = `CREATE VIEW ${name} AS ${selectSql}`;
        await run(create, { sql: create, index: 0 });
      }
    });
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
    return this.withLane(undefined, async (lane) => {
      const rows = await this.attempt(
        () => lane.sql`
          SELECT EXISTS (
            SELECT 1 FROM pg_catalog.pg_class c
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = ${schema} AND c.relname = ${table} AND c.relkind IN ('r', 'p')
          ) AS present`,
        'table lookup',
      );
      return rows[0]?.present === true;
    });
  }

  columns(schema: string, table: string): Promise<ColumnInfo[]> {
    return this.withLane(undefined, async (lane) => {
      const rows = await this.attempt(
        () => lane.sql`
          SELECT a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type
          FROM pg_catalog.pg_attribute a
          JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
          JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = ${schema} AND c.relname = ${table}
            AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped
          ORDER BY a.attnum`,
        'column lookup',
      );
      return rows.map((row) => ({ name: String(row.name), type: String(row.type) }));
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
    const draining = this.inFlight.drain();
    for (const waiter of this.waiting.splice(0)) waiter.refuse(closedError(this.gateway));
    await draining;
    await Promise.all(this.lanes.map((lane) => lane.sql.end({ timeout: 5 })));
  }

  /**
   * BEGIN, the body's statements, COMMIT, all on one lane; ROLLBACK on any failure. A statement is
   * only sent while the session that ran BEGIN is still open: postgres.js reconnects silently, and
   * a statement sent on a new session would run outside the transaction.
   */
  private transaction<T>(
    signal: AbortSignal | undefined,
    commitIndex: number,
    body: (run: RunStatement, lane: Lane) => Promise<T>,
  ): Promise<T> {
    return this.withLane(signal, async (lane) => {
      throwIfAborted(signal, this.gateway);
      let running: { cancel(): void } | undefined;
      const cancel = () => {
        running?.cancel();
      };
      const execute = async (sql: string): Promise<unknown> => {
        const query = lane.sql.unsafe(sql).simple();
        running = query;
        try {
          return await query;
        } finally {
          running = undefined;
        }
      };
      let context: StatementContext = { sql: 'BEGIN', index: 0 };
      let session: number | undefined;
      const run: RunStatement = (sql, statement) => {
        throwIfAborted(signal, this.gateway);
        this.checkSession(lane, session);
        context = statement;
        return execute(sql);
      };
      signal?.addEventListener('abort', cancel);
      try {
        await execute('BEGIN');
        session = lane.session;
        const result = await body(run, lane);
        throwIfAborted(signal, this.gateway);
        signal?.removeEventListener('abort', cancel);
        this.checkSession(lane, session);
        context = { sql: 'COMMIT', index: commitIndex };
        await execute('COMMIT');
        return result;
      } catch (error) {
        if (session !== undefined && session === lane.session) await this.rollback(lane);
        if (error instanceof CallbackFailure) throw error.error;
        if (signal?.aborted) throw cancelledError(this.gateway);
        throw this.translate(error, context);
      } finally {
        signal?.removeEventListener('abort', cancel);
      }
    });
  }

  private checkSession(lane: Lane, session: number | undefined): void {
    if (session !== undefined && lane.session !== session) {
      throw new RetryableEngineError(
        'CONNECTION_LOST',
        `gateway "${this.gateway}": the connection to postgres at ${this.settings.host}:${this.settings.port} closed during the transaction`,
        this.gateway,
      );
    }
  }

  /** Rolls back after a failure; a lane whose ROLLBACK fails is replaced so no transaction stays open. */
  private async rollback(lane: Lane): Promise<void> {
    try {
      await lane.sql.unsafe('ROLLBACK').simple();
    } catch {
      lane.broken = true;
    }
  }

  private readRows(sql: string, limit: number): Promise<MetadataRow[]> {
    return this.withLane(undefined, async (lane) => {
      const rows: MetadataRow[] = [];
      await this.attempt(async () => {
        for await (const batch of lane.sql.unsafe(sql).cursor(limit)) {
          for (const row of batch) rows.push(toMetadataRow(row));
          break;
        }
      }, sql);
      return rows.slice(0, limit);
    });
  }

  /** Runs a metadata query, turning a failure into an engine error. */
  private async attempt<T>(operation: () => Promise<T>, sql: string): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw this.translate(error, { sql, index: 0 });
    }
  }

  private withLane<T>(signal: AbortSignal | undefined, use: (lane: Lane) => Promise<T>): Promise<T> {
    return this.inFlight.run(async () => {
      const lane = await this.acquire(signal);
      const session = lane.session;
      try {
        return await use(lane);
      } finally {
        lane.notices = null;
        // a client whose session broke mid-operation is replaced rather than reused: postgres.js can
        // hand a late error of the dead session to the next query
        if (lane.broken || lane.session !== session) this.renew(lane);
        this.release(lane);
      }
    });
  }

  private acquire(signal: AbortSignal | undefined): Promise<Lane> {
    if (signal?.aborted) return Promise.reject(cancelledError(this.gateway));
    const free = this.idle.pop();
    if (free !== undefined) return Promise.resolve(free);
    return new Promise<Lane>((resolve, reject) => {
      const waiter = {
        grant: (lane: Lane) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(lane);
        },
        refuse: (error: EngineError) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      const onAbort = () => {
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(cancelledError(this.gateway));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private release(lane: Lane): void {
    const next = this.waiting.shift();
    if (next === undefined) this.idle.push(lane);
    else next.grant(lane);
  }

  private createLane(): Lane {
    const lane: Lane = { notices: null, session: 0, broken: false, sql: undefined as unknown as Sql };
    lane.sql = this.connect(lane);
    return lane;
  }

  private renew(lane: Lane): void {
    const old = lane.sql;
    lane.sql = this.connect(lane);
    lane.broken = false;
    old.end({ timeout: 0 }).catch(() => {});
  }

  private connect(lane: Lane): Sql {
    const { settings } = this;
    const connection: Record<string, string> = { application_name: settings.applicationName };
    if (settings.schema !== undefined) connection.search_path = settings.schema;
    if (settings.role !== undefined) connection.role = settings.role;
    const client = postgres({
      host: settings.host,
      port: settings.port,
      database: settings.database,
      user: settings.user,
      password: settings.password ?? '',
      ssl: sslOption(settings.sslmode),
      max: 1,
      connect_timeout: settings.connectTimeoutSeconds,
      idle_timeout: 300,
      // never recycle a connection between two statements of a transaction
      max_lifetime: null,
      keep_alive: settings.keepalivesIdleSeconds ?? 60,
      prepare: false,
      fetch_types: false,
      connection,
      types: {
        bigint: {
          to: 20,
          from: [20],
          serialize: (value: number | string | bigint) => String(value),
          parse: parseInteger,
        },
      },
      onnotice: (notice) => {
        if (lane.sql === client)
          lane.notices?.push(`${notice.severity ?? 'NOTICE'}: ${notice.message ?? ''}`);
      },
      onclose: () => {
        if (lane.sql === client) lane.session++;
      },
    }) as unknown as Sql;
    return client;
  }

  private translate(error: unknown, context: StatementContext | undefined): EngineError {
    if (error instanceof EngineError) return error;
    const where = `gateway "${this.gateway}"`;
    const server = `postgres at ${this.settings.host}:${this.settings.port}`;
    const message = this.redact(error instanceof Error ? error.message : String(error));
    const retryable = (code: RetryableErrorCode, text: string) =>
      new RetryableEngineError(code, `${where}: ${text}`, this.gateway);

    if (error instanceof postgres.PostgresError) {
      const state = error.code;
      if (state.startsWith('08'))
        return retryable('CONNECTION_LOST', `connection to ${server} failed: ${message}`);
      if (state === '57P03' || state === '53300') {
        return retryable(
          'SERVER_UNAVAILABLE',
          `${server} is not accepting sessions: ${message} (SQLSTATE ${state})`,
        );
      }
      if (state === '40001' || state === '40P01') {
        return retryable('TRANSACTION_CONFLICT', `${message} (SQLSTATE ${state})`);
      }
      if (state === '57014' || state === '55P03') {
        return retryable('STATEMENT_TIMEOUT', `${message} (SQLSTATE ${state})`);
      }
      if (state.startsWith('28') || state === '3D000') {
        return new ConnectionRejectedError(
          `${where}: ${server} refused the session: ${message} (SQLSTATE ${state})`,
          this.gateway,
        );
      }
      // a FATAL error (administrator shutdown, pg_terminate_backend, idle session timeouts) ends the session
      if (error.severity === 'FATAL' || error.severity === 'PANIC') {
        return retryable('CONNECTION_LOST', `${server} ended the session: ${message} (SQLSTATE ${state})`);
      }
      const fields = {
        gateway: this.gateway,
        engineMessage: message,
        sqlState: state,
        statement: this.redact(context?.sql ?? ''),
        statementIndex: context?.index ?? 0,
        ...(context?.label === undefined ? {} : { label: context.label }),
        ...(error.detail === undefined ? {} : { detail: this.redact(error.detail) }),
        ...(error.hint === undefined ? {} : { hint: this.redact(error.hint) }),
      };
      return new SqlExecutionError(fields);
    }

    const code =
      typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : '';
    if (CONNECT_FAILURES.has(code))
      return retryable('CONNECTION_FAILED', `cannot connect to ${server} (${code})`);
    if (CONNECT_TIMEOUTS.has(code)) {
      return retryable(
        'CONNECTION_TIMEOUT',
        `cannot connect to ${server} within ${this.settings.connectTimeoutSeconds}s (${code})`,
      );
    }
    if (CONNECTION_LOSSES.has(code)) {
      const { sslmode } = this.settings;
      const tls =
        sslmode === 'require' || sslmode === 'verify-full'
          ? `; with sslmode=${sslmode} this also happens when the server does not accept TLS`
          : '';
      return retryable('CONNECTION_LOST', `connection to ${server} was lost (${code})${tls}`);
    }
    if (code === 'CONNECTION_ENDED') return closedError(this.gateway);
    if (code.startsWith('ERR_TLS') || code.includes('CERT') || /\bSSL\b/.test(message)) {
      return new ConnectionRejectedError(`${where}: TLS with ${server} failed: ${message}`, this.gateway);
    }
    if (code.startsWith('SASL') || code === 'AUTH_TYPE_NOT_IMPLEMENTED') {
      return new ConnectionRejectedError(
        `${where}: authentication with ${server} failed: ${message}`,
        this.gateway,
      );
    }
    return retryable('ENGINE_FAILURE', `${server}: ${message}${code === '' ? '' : ` (${code})`}`);
  }
}

/**
 * postgres.js's TLS setting for a libpq sslmode. `allow` (plain first, TLS if the server insists)
 * becomes postgres.js's `prefer` (TLS first, plain if refused): both accept either kind of server.
 */
function sslOption(mode: SslMode): false | 'prefer' | 'require' | 'verify-full' {
  if (mode === 'disable') return false;
  return mode === 'allow' ? 'prefer' : mode;
}

/** The command count of a single statement's simple-protocol result. */
function commandCount(result: unknown): number | null {
  if (!Array.isArray(result)) return null;
  const count = (result as { count?: unknown }).count;
  return typeof count === 'number' ? count : null;
}
