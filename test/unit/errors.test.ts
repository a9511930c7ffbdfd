import { describe, expect, it } from 'vitest';
import { AuditFailedError } from '../../activities/execution/audit-failed-error.ts';
import { toActivityFailure } from '../../activities/executor/failure.ts';
import { GatewayNotConfiguredError } from '../../activities/executor/gateway-not-configured-error.ts';
import { InvalidRequestError } from '../../activities/executor/invalid-request-error.ts';
import { MemoryLimitError } from '../../activities/executor/memory-limit-error.ts';
import { SealedConnectionError } from '../../activities/executor/sealed-connection-error.ts';
import {
  ERROR_CODES,
  type ErrorCode,
  isRetryable,
  NON_RETRYABLE_CODES,
  SluiceError,
} from '../../core/errors.ts';
import {
  ConnectionRejectedError,
  EngineCancelledError,
  EngineConfigError,
  EngineMemoryLimitError,
  RetryableEngineError,
  SqlExecutionError,
  UnknownGatewayError,
} from '../../engines/errors.ts';
import { NON_RETRYABLE_ERRORS } from '../../workflows/execute-models.ts';

/** One of every error an executor raises, with the name and code Temporal and the logs know it by. */
const EXAMPLES: Array<[SluiceError, string, ErrorCode]> = [
  [new RetryableEngineError('CONNECTION_LOST', 'lost', 'wh'), 'RetryableEngineError', 'CONNECTION_LOST'],
  [
    new SqlExecutionError({ gateway: 'wh', engineMessage: 'boom', statement: 'select', statementIndex: 0 }),
    'SqlExecutionError',
    'SQL_ERROR',
  ],
  [new EngineMemoryLimitError('full', 'wh', '64MiB', 'full'), 'EngineMemoryLimitError', 'MEMORY_LIMIT'],
  [new EngineCancelledError('stopped', 'wh'), 'EngineCancelledError', 'CANCELLED'],
  [new ConnectionRejectedError('refused', 'wh'), 'ConnectionRejectedError', 'CONNECTION_REJECTED'],
  [new EngineConfigError('wh', 'port', 'not a number'), 'EngineConfigError', 'INVALID_GATEWAY_CONFIG'],
  [new UnknownGatewayError('wh', []), 'UnknownGatewayError', 'UNKNOWN_GATEWAY'],
  [
    new GatewayNotConfiguredError('wh', 'exec-1', [], 'sluice-run'),
    'GatewayNotConfiguredError',
    'GATEWAY_NOT_CONFIGURED',
  ],
  [
    new SealedConnectionError('wh', 'k1', 'exec-1', 'no key'),
    'SealedConnectionError',
    'CONNECTION_NOT_OPENED',
  ],
  [new InvalidRequestError('bad'), 'InvalidRequestError', 'INVALID_REQUEST'],
  [new MemoryLimitError('over', 'exec-1', 'shop.orders', 64, 80), 'MemoryLimitError', 'MEMORY_LIMIT'],
  [new AuditFailedError('not_null', 'shop.orders', 3), 'AuditFailedError', 'AUDIT_FAILED'],
];

describe('error codes', () => {
  it('gives every executor error its name, its code and the retryability of its code', () => {
    for (const [error, name, code] of EXAMPLES) {
      expect(error, name).toBeInstanceOf(SluiceError);
      expect(error.name).toBe(name);
      expect(error.code).toBe(code);
      expect(error.retryable, name).toBe(ERROR_CODES[code].retryable);
      expect(error.details()).toMatchObject({ code, retryable: error.retryable });
    }
  });

  it('keeps the retryability of each code as the executor and the scheduler have always reported it', () => {
    const retryable = Object.keys(ERROR_CODES).filter((code) => isRetryable(code as ErrorCode));
    expect(retryable.sort()).toEqual([
      'CONNECTION_FAILED',
      'CONNECTION_LOST',
      'CONNECTION_TIMEOUT',
      'DATABASE_LOCKED',
      'ENGINE_CLOSED',
      'ENGINE_FAILURE',
      'EXECUTOR_FAILURE',
      'NOTIFICATION_DELIVERY_FAILED',
      'SERVER_UNAVAILABLE',
      'SNAPSHOT_BUSY',
      'STATEMENT_TIMEOUT',
      'TRANSACTION_CONFLICT',
    ]);
  });

  it("gives the workflows' retry policy every non-retryable code and no other", () => {
    expect(NON_RETRYABLE_ERRORS).toBe(NON_RETRYABLE_CODES);
    expect([...NON_RETRYABLE_CODES].sort()).toEqual(
      Object.keys(ERROR_CODES)
        .filter((code) => !isRetryable(code as ErrorCode))
        .sort(),
    );
    expect(NON_RETRYABLE_CODES).toContain('SQL_ERROR');
    expect(NON_RETRYABLE_CODES).not.toContain('CONNECTION_LOST');
  });

  it('turns each error into a Temporal failure typed by its code, non-retryable as its code says', () => {
    for (const [error, name, code] of EXAMPLES) {
      const failure = toActivityFailure(error) as { type?: string; nonRetryable?: boolean; message: string };
      expect(failure.type, name).toBe(code);
      expect(failure.nonRetryable, name).toBe(!ERROR_CODES[code].retryable);
      expect(failure.message).toBe(error.message);
    }
  });

  it('rejects a code that is not in the list, saying where to add it', () => {
    expect(() => isRetryable('NO_SUCH_CODE' as ErrorCode)).toThrow(
      'unknown error code "NO_SUCH_CODE": add it to ERROR_CODES in core/errors.ts',
    );
    expect(() => new SluiceError('NO_SUCH_CODE' as ErrorCode, 'x')).toThrow(
      /unknown error code "NO_SUCH_CODE"/,
    );
  });
});
