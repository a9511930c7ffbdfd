/**
 * The failures sluice hands Temporal (an activity's, or a workflow's own), each with a stable
 * `code` that becomes the Temporal failure's `type`. ERROR_CODES is the one list of those codes and
 * says, per code, whether running the same work again may succeed: the executor's failures take
 * their `nonRetryable` flag
 * from it (through SluiceError.retryable), the scheduler's activities theirs through
 * activities/scheduler/failures.ts, and the workflows' retry policies their
 * `nonRetryableErrorTypes` (NON_RETRYABLE_CODES). Pure, so workflow code may import it.
 */

export const ERROR_CODES = {
  /** the server could not be reached (refused, unreachable host, unknown host). */
  CONNECTION_FAILED: { retryable: true },
  /** connecting took longer than the gateway's `connect_timeout`. */
  CONNECTION_TIMEOUT: { retryable: true },
  /** an established connection broke; for a COMMIT in flight the outcome is unknown. */
  CONNECTION_LOST: { retryable: true },
  /** the server is shutting down, starting up or out of connection slots. */
  SERVER_UNAVAILABLE: { retryable: true },
  /** the server cancelled a statement on its own (statement_timeout, lock_timeout). */
  STATEMENT_TIMEOUT: { retryable: true },
  /** a serialization failure, deadlock or write-write conflict; the same work may succeed again. */
  TRANSACTION_CONFLICT: { retryable: true },
  /** another process holds the DuckDB database file (DuckDB allows one writing process per file). */
  DATABASE_LOCKED: { retryable: true },
  /** the engine was closed while the work was waiting; another executor can take it. */
  ENGINE_CLOSED: { retryable: true },
  /** a driver failure that is neither a SQL error nor a known connection failure. */
  ENGINE_FAILURE: { retryable: true },
  /** anything else an executor raised (a bug, an unexpected driver error). */
  EXECUTOR_FAILURE: { retryable: true },

  /** the warehouse rejected a statement; running it again unchanged gives the same error. */
  SQL_ERROR: { retryable: false },
  /** a blocking audit found offending rows; the same batch audits the same rows. */
  AUDIT_FAILED: { retryable: false },
  /** the batch passed a memory limit (the executor's or the engine's); it needs the same memory again. */
  MEMORY_LIMIT: { retryable: false },
  /** the work was cancelled; the statement was stopped and rolled back. */
  CANCELLED: { retryable: false },
  /** the server refused the session: bad credentials, unknown database, TLS refused. */
  CONNECTION_REJECTED: { retryable: false },
  /** a gateway's connection settings are invalid. */
  INVALID_GATEWAY_CONFIG: { retryable: false },
  /** an engine was asked for a gateway it has no settings for. */
  UNKNOWN_GATEWAY: { retryable: false },
  /** the executor serving the work has no connection for its gateway. */
  GATEWAY_NOT_CONFIGURED: { retryable: false },
  /** a scheduler-managed connection the executor cannot open with the keys it holds. */
  CONNECTION_NOT_OPENED: { retryable: false },
  /** an activity input without the shape the executor expects. */
  INVALID_REQUEST: { retryable: false },
  /** a query asked of an executor (`sluice fetchdf`) is not one read-only statement; nothing ran. */
  QUERY_NOT_READ_ONLY: { retryable: false },
  /** a query asked of an executor ran past its timeout and was stopped. */
  QUERY_TIMEOUT: { retryable: false },

  // The scheduler's activities (activities/scheduler/failures.ts).
  /** a scheduler activity's input is malformed or fails a check of the state database. */
  INVALID_INPUT: { retryable: false },
  /** the plan named is not in the state database. */
  UNKNOWN_PLAN: { retryable: false },
  /** the model named is not in the environment or the plan. */
  UNKNOWN_MODEL: { retryable: false },
  /** the run named was never recorded started. */
  UNKNOWN_RUN: { retryable: false },
  /** the model execution named is not in the state database. */
  UNKNOWN_EXECUTION: { retryable: false },
  /** the plan no longer applies to its environment (it changed since the plan was made). */
  PLAN_NOT_APPLICABLE: { retryable: false },
  /** a model's SQL could not be rendered for the batch. */
  RENDER_FAILED: { retryable: false },
  /** another run is executing the same snapshot interval; the retry policy waits for it. */
  SNAPSHOT_BUSY: { retryable: true },
  /** a webhook's receiver did not accept a notification (an answer other than 2xx, or none); retried. */
  NOTIFICATION_DELIVERY_FAILED: { retryable: true },

  // The workflows' own failures (what a parent, the API or the Web UI sees a workflow end with).
  /** a plan's backfill left models failed or skipped (workflows/apply.ts). */
  BACKFILL_FAILED: { retryable: false },
  /** a plan's application failed outside its backfill (workflows/apply.ts). */
  PLAN_FAILED: { retryable: false },
  /** no apply executor took a connection test in time (workflows/test-connection.ts). */
  NO_APPLY_EXECUTOR: { retryable: false },
  /** a connection test did not finish in time. */
  CONNECTION_TEST_TIMEOUT: { retryable: false },
  /** a connection test failed for a reason its executor did not name. */
  CONNECTION_TEST_FAILED: { retryable: false },
  /** no run executor took a query in time (workflows/fetch-query.ts). */
  NO_RUN_EXECUTOR: { retryable: false },
  /** a query failed for a reason its executor did not name. */
  QUERY_FAILED: { retryable: false },
} as const satisfies Record<string, { retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes of failures that running the same work again may fix. */
export type RetryableCode = {
  [C in ErrorCode]: (typeof ERROR_CODES)[C]['retryable'] extends true ? C : never;
}[ErrorCode];

/** Whether running the same work again may succeed after a failure with this code. */
export function isRetryable(code: ErrorCode): boolean {
  if (!Object.hasOwn(ERROR_CODES, code)) {
    throw new Error(`unknown error code ${JSON.stringify(code)}: add it to ERROR_CODES in core/errors.ts`);
  }
  return ERROR_CODES[code].retryable;
}

/** The failure types a workflow's retry policy never retries (`nonRetryableErrorTypes`). */
export const NON_RETRYABLE_CODES: string[] = (Object.keys(ERROR_CODES) as ErrorCode[]).filter(
  (code) => !isRetryable(code),
);

/** Plain, credential-free fields for a Temporal failure's details. */
export type ErrorDetails = Record<string, string | number | boolean | null>;

/** An error with a code from ERROR_CODES; its name is its class's name. */
export class SluiceError<C extends ErrorCode = ErrorCode> extends Error {
  readonly retryable: boolean;

  constructor(
    readonly code: C,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
    this.retryable = isRetryable(code);
  }

  details(): ErrorDetails {
    return { code: this.code, retryable: this.retryable };
  }
}
