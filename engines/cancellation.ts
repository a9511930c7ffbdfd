/**
 * How engines report a caller's AbortSignal: one error shape whichever statement was running.
 */

import { EngineCancelledError } from './errors.ts';

export function cancelledError(gateway: string): EngineCancelledError {
  return new EngineCancelledError(
    `gateway "${gateway}": cancelled; the transaction was rolled back`,
    gateway,
  );
}

export function throwIfAborted(signal: AbortSignal | undefined, gateway: string): void {
  if (signal?.aborted) throw cancelledError(gateway);
}
