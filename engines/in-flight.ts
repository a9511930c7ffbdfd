/**
 * Bookkeeping of an engine's running operations, so `close()` can refuse new work and wait for
 * the work already started before releasing connections.
 */

import { RetryableEngineError } from './errors.ts';

export class InFlight {
  private readonly running = new Set<Promise<unknown>>();
  private closing = false;

  constructor(private readonly gateway: string) {}

  /** Runs `operation` unless the engine is closing. */
  run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(closedError(this.gateway));
    const promise = operation();
    this.running.add(promise);
    const forget = () => this.running.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /** Refuses new work and settles once every running operation has. */
  async drain(): Promise<void> {
    this.closing = true;
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}

export function closedError(gateway: string): RetryableEngineError {
  return new RetryableEngineError('ENGINE_CLOSED', `gateway "${gateway}": the engine is closed`, gateway);
}
