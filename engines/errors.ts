/**
 * Errors raised by warehouse engines. Each carries a stable `code` from core/errors.ts, which says
 * whether it is retryable, so an activity can turn it into a Temporal ApplicationFailure
 * (`type: code`, `nonRetryable: !retryable`) without inspecting driver internals. Messages never
 * contain credentials: they are built from scrubbed text only, and no driver error object is kept
 * as `cause`.
 */

import { type ErrorDetails, type RetryableCode, SluiceError } from '../core/errors.ts';

export type EngineErrorCode =
  | 'CONNECTION_FAILED'
  | 'CONNECTION_TIMEOUT'
  | 'CONNECTION_LOST'
  | 'SERVER_UNAVAILABLE'
  | 'STATEMENT_TIMEOUT'
  | 'TRANSACTION_CONFLICT'
  | 'DATABASE_LOCKED'
  | 'ENGINE_CLOSED'
  | 'ENGINE_FAILURE'
  | 'SQL_ERROR'
  | 'MEMORY_LIMIT'
  | 'CANCELLED'
  | 'CONNECTION_REJECTED'
  | 'INVALID_GATEWAY_CONFIG'
  | 'UNKNOWN_GATEWAY'
  | 'QUERY_NOT_READ_ONLY'
  | 'QUERY_TIMEOUT';

/** The engine's codes for transient failures (see core/errors.ts for what each one means). */
export type RetryableErrorCode = Extract<EngineErrorCode, RetryableCode>;

export abstract class EngineError<C extends EngineErrorCode = EngineErrorCode> extends SluiceError<C> {
  constructor(
    code: C,
    message: string,
    /** the gateway the failing engine serves, when there is one. */
    readonly gateway?: string,
  ) {
    super(code, message);
  }

  /** Plain, credential-free fields for a failure's details. */
  override details(): ErrorDetails {
    return { ...super.details(), gateway: this.gateway ?? null };
  }
}

/** Transient failure: running the same work again later may succeed. */
export class RetryableEngineError extends EngineError<RetryableErrorCode> {}

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
export class SqlExecutionError extends EngineError<'SQL_ERROR'> {
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
      'SQL_ERROR',
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

  override details(): ErrorDetails {
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
export class EngineMemoryLimitError extends EngineError<'MEMORY_LIMIT'> {
  constructor(
    message: string,
    gateway: string,
    /** the limit the engine enforced as it was configured (`64MiB`), or undefined for its default. */
    readonly limit: string | undefined,
    /** the engine's own message, scrubbed of secrets. */
    readonly engineMessage: string,
  ) {
    super('MEMORY_LIMIT', message, gateway);
  }
}

/** The caller's AbortSignal fired; the running statement was stopped and the transaction rolled back. */
export class EngineCancelledError extends EngineError<'CANCELLED'> {
  constructor(message: string, gateway?: string) {
    super('CANCELLED', message, gateway);
  }
}

/** The server answered but refused the session: bad credentials, unknown database, TLS refused. */
export class ConnectionRejectedError extends EngineError<'CONNECTION_REJECTED'> {
  constructor(message: string, gateway?: string) {
    super('CONNECTION_REJECTED', message, gateway);
  }
}

/** A gateway's connection settings are invalid; `key` names the offending setting. */
export class EngineConfigError extends EngineError<'INVALID_GATEWAY_CONFIG'> {
  constructor(
    gateway: string,
    readonly key: string | undefined,
    problem: string,
  ) {
    super(
      'INVALID_GATEWAY_CONFIG',
      key === undefined ? `gateway "${gateway}": ${problem}` : `gateway "${gateway}": ${key}: ${problem}`,
      gateway,
    );
  }
}

/** Work named a gateway that this executor has no connection settings for. */
export class UnknownGatewayError extends EngineError<'UNKNOWN_GATEWAY'> {
  constructor(
    gateway: string,
    readonly configured: string[],
  ) {
    const known = configured.length === 0 ? 'none' : configured.map((name) => `"${name}"`).join(', ');
    super(
      'UNKNOWN_GATEWAY',
      `gateway "${gateway}" is not configured on this executor (configured gateways: ${known})`,
      gateway,
    );
  }
}

/**
 * A query for reading (`Engine.readQuery`) is not a single read-only statement: the engine said so
 * (DuckDB's prepared statement type, PostgreSQL's read-only transaction), and nothing ran.
 */
export class QueryNotReadOnlyError extends EngineError<'QUERY_NOT_READ_ONLY'> {
  constructor(
    gateway: string,
    /** what the statement is (`INSERT`, `CREATE`, `2 statements`). */
    readonly statementKind: string,
    why?: string,
  ) {
    super(
      'QUERY_NOT_READ_ONLY',
      `gateway "${gateway}": only a single read-only SELECT statement may be queried, not ${statementKind}` +
        (why === undefined ? '' : ` (${why})`),
      gateway,
    );
  }

  override details(): ErrorDetails {
    return { ...super.details(), statementKind: this.statementKind };
  }
}

/** A query for reading ran longer than its timeout and was stopped on the warehouse. */
export class QueryTimeoutError extends EngineError<'QUERY_TIMEOUT'> {
  constructor(
    gateway: string,
    readonly timeoutMs: number,
  ) {
    super(
      'QUERY_TIMEOUT',
      `gateway "${gateway}": the query ran longer than its timeout of ${timeoutMs} ms and was stopped`,
      gateway,
    );
  }

  override details(): ErrorDetails {
    return { ...super.details(), timeoutMs: this.timeoutMs };
  }
}
