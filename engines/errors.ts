/**
 * Errors raised by warehouse engines. Each carries a stable `code` and a `retryable` flag so an
 * activity can turn it into a Temporal ApplicationFailure (`type: code`, `nonRetryable: !retryable`)
 * without inspecting driver internals. Messages never contain credentials: they are built from
 * scrubbed text only, and no driver error object is kept as `cause`.
 */

export type RetryableErrorCode =
  /** the server could not be reached (refused, unreachable host, unknown host). */
  | 'CONNECTION_FAILED'
  /** connecting took longer than the gateway's `connect_timeout`. */
  | 'CONNECTION_TIMEOUT'
  /** an established connection broke; for a COMMIT in flight the outcome is unknown. */
  | 'CONNECTION_LOST'
  /** the server is shutting down, starting up or out of connection slots. */
  | 'SERVER_UNAVAILABLE'
  /** the server cancelled a statement on its own (statement_timeout, lock_timeout). */
  | 'STATEMENT_TIMEOUT'
  /** a serialization failure, deadlock or write-write conflict; the same work may succeed again. */
  | 'TRANSACTION_CONFLICT'
  /** another process holds the DuckDB database file (DuckDB allows one writing process per file). */
  | 'DATABASE_LOCKED'
  /** the engine was closed while the work was waiting; another executor can take it. */
  | 'ENGINE_CLOSED'
  /** a driver failure that is neither a SQL error nor a known connection failure. */
  | 'ENGINE_FAILURE';

export type EngineErrorCode =
  | RetryableErrorCode
  | 'SQL_ERROR'
  | 'MEMORY_LIMIT'
  | 'CANCELLED'
  | 'CONNECTION_REJECTED'
  | 'INVALID_GATEWAY_CONFIG'
  | 'UNKNOWN_GATEWAY';

export abstract class EngineError extends Error {
  abstract readonly code: EngineErrorCode;
  abstract readonly retryable: boolean;

  constructor(
    message: string,
    /** the gateway the failing engine serves, when there is one. */
    readonly gateway?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** Plain, credential-free fields for a failure's details. */
  details(): Record<string, string | number | boolean | null> {
    return { code: this.code, retryable: this.retryable, gateway: this.gateway ?? null };
  }
}

/** Transient failure: running the same work again later may succeed. */
export class RetryableEngineError extends EngineError {
  readonly retryable = true;

  constructor(
    readonly code: RetryableErrorCode,
    message: string,
    gateway?: string,
  ) {
    super(message, gateway);
  }
}

export interface SqlErrorFields {
  gateway: string;
  /** the engine's own message, scrubbed of secrets. */
  engineMessage: string;
  /** the SQLSTATE, when the engine reports one (Postgres does, DuckDB does not). */
  sqlState?: string;
  /** what the caller called the statement, usually the model name. */
  label?: string;
  /** the statement that failed, scrubbed of secrets. */
  statement: string;
  /** 0-based position of the statement in its transaction. */
  statementIndex: number;
  detail?: string;
  hint?: string;
}

/** The warehouse rejected a statement. Running it again unchanged gives the same error. */
export class SqlExecutionError extends EngineError {
  readonly code = 'SQL_ERROR';
  readonly retryable = false;
  readonly engineMessage: string;
  readonly sqlState: string | undefined;
  readonly label: string | undefined;
  readonly statement: string;
  readonly statementIndex: number;
  readonly detail: string | undefined;
  readonly hint: string | undefined;

  constructor(fields: SqlErrorFields) {
    const who = fields.label === undefined ? '' : ` for "${fields.label}"`;
    const state = fields.sqlState === undefined ? '' : ` (SQLSTATE ${fields.sqlState})`;
    const extra = [
      fields.detail === undefined ? '' : `\nDETAIL: ${fields.detail}`,
      fields.hint === undefined ? '' : `\nHINT: ${fields.hint}`,
    ].join('');
    super(
      `gateway "${fields.gateway}": statement ${fields.statementIndex + 1}${who} failed: ${fields.engineMessage}${state}${extra}`,
      fields.gateway,
    );
    this.engineMessage = fields.engineMessage;
    this.sqlState = fields.sqlState;
    this.label = fields.label;
    this.statement = fields.statement;
    this.statementIndex = fields.statementIndex;
    this.detail = fields.detail;
    this.hint = fields.hint;
  }

  override details(): Record<string, string | number | boolean | null> {
    return {
      ...super.details(),
      engineMessage: this.engineMessage,
      sqlState: this.sqlState ?? null,
      label: this.label ?? null,
      statement: this.statement,
      statementIndex: this.statementIndex,
    };
  }
}

/**
 * The engine refused to use more memory than its limit (DuckDB's `memory_limit`); the statement
 * failed and the transaction was rolled back. The same batch needs the same memory: not retryable.
 */
export class EngineMemoryLimitError extends EngineError {
  readonly code = 'MEMORY_LIMIT';
  readonly retryable = false;

  constructor(
    message: string,
    gateway: string,
    /** the limit the engine enforced as it was configured (`64MiB`), or undefined for its default. */
    readonly limit: string | undefined,
    /** the engine's own message, scrubbed of secrets. */
    readonly engineMessage: string,
  ) {
    super(message, gateway);
  }
}

/** The caller's AbortSignal fired; the running statement was stopped and the transaction rolled back. */
export class EngineCancelledError extends EngineError {
  readonly code = 'CANCELLED';
  readonly retryable = false;
}

/** The server answered but refused the session: bad credentials, unknown database, TLS refused. */
export class ConnectionRejectedError extends EngineError {
  readonly code = 'CONNECTION_REJECTED';
  readonly retryable = false;
}

/** A gateway's connection settings are invalid; `key` names the offending setting. */
export class EngineConfigError extends EngineError {
  readonly code = 'INVALID_GATEWAY_CONFIG';
  readonly retryable = false;

  constructor(
    gateway: string,
    readonly key: string | undefined,
    problem: string,
  ) {
    super(
      key === undefined ? `gateway "${gateway}": ${problem}` : `gateway "${gateway}": ${key}: ${problem}`,
      gateway,
    );
  }
}

/** Work named a gateway that this executor has no connection settings for. */
export class UnknownGatewayError extends EngineError {
  readonly code = 'UNKNOWN_GATEWAY';
  readonly retryable = false;

  constructor(
    gateway: string,
    readonly configured: string[],
  ) {
    const known = configured.length === 0 ? 'none' : configured.map((name) => `"${name}"`).join(', ');
    super(`gateway "${gateway}" is not configured on this executor (configured gateways: ${known})`, gateway);
  }
}
