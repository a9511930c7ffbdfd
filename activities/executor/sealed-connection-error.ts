/**
 * A scheduler-managed connection this executor cannot open: it holds no SLUICE_ENCRYPTION_KEY, not
 * the key the connection was sealed with, or the sealed value does not open (another key under the
 * same id, altered data, the value moved to another gateway). Not retryable: the same executor
 * fails the same way until its keys change. The message names the key id, never a key.
 */

import { type ErrorDetails, SluiceError } from '../../core/errors.ts';

export class SealedConnectionError extends SluiceError<'CONNECTION_NOT_OPENED'> {
  constructor(
    readonly gateway: string,
    readonly keyId: string,
    readonly executor: string,
    /** what is wrong, e.g. `sealed with key "k1", which SLUICE_ENCRYPTION_KEY does not hold (…)`. */
    readonly problem: string,
  ) {
    super(
      'CONNECTION_NOT_OPENED',
      `executor ${executor} cannot open the connection of gateway "${gateway}": ${problem}`,
    );
  }

  override details(): ErrorDetails {
    return {
      ...super.details(),
      gateway: this.gateway,
      keyId: this.keyId,
      executor: this.executor,
    };
  }
}
