/**
 * A scheduler-managed connection this executor cannot open: it holds no SLUICE_ENCRYPTION_KEY, not
 * the key the connection was sealed with, or the sealed value does not open (another key under the
 * same id, altered data, the value moved to another gateway). Not retryable: the same executor
 * fails the same way until its keys change. The message names the key id, never a key.
 */

export class SealedConnectionError extends Error {
  readonly code = 'CONNECTION_NOT_OPENED';
  readonly retryable = false;

  constructor(
    readonly gateway: string,
    readonly keyId: string,
    readonly executor: string,
    /** what is wrong, e.g. `sealed with key "k1", which SLUICE_ENCRYPTION_KEY does not hold (…)`. */
    readonly problem: string,
  ) {
    super(`executor ${executor} cannot open the connection of gateway "${gateway}": ${problem}`);
    this.name = 'SealedConnectionError';
  }

  details(): Record<string, string | number | boolean | null> {
    return {
      code: this.code,
      retryable: this.retryable,
      gateway: this.gateway,
      keyId: this.keyId,
      executor: this.executor,
    };
  }
}
