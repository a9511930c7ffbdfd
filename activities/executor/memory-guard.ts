/**
 * The executor's memory guard (`SLUICE_MAX_MEMORY_MB`). While executor activities run, one timer
 * samples the process's resident set size every 200 ms; when it passes the limit, every execution
 * running at that moment is aborted through its AbortSignal (the engine stops the statement on the
 * warehouse and rolls the transaction back) and fails with a non-retryable MEMORY_LIMIT error, and
 * the process stays up to serve the next batch. RSS is the whole process's, so a run that passes
 * the limit stops all executions in flight: none of them can be told apart as the culprit.
 *
 * DuckDB, which runs inside the process, gets the same limit as its `memory_limit` (see
 * engines/engine-slot.ts) and usually refuses first; its refusal is reported the same way.
 */

import { EngineMemoryLimitError } from '../../engines/errors.ts';
import { MemoryLimitError } from './memory-limit-error.ts';

export const MEMORY_SAMPLE_INTERVAL_MS = 200;

const MIB = 1024 * 1024;

/** The process's resident set size in bytes. */
export type MemoryReader = () => number;

export interface MemoryGuardOptions {
  /** how the executor names itself in errors. */
  identity: string;
  /** undefined: no limit is enforced (DuckDB's refusals are still reported as MEMORY_LIMIT). */
  maxMemoryMb?: number;
  /** process.memoryUsage.rss by default. */
  readRss?: MemoryReader;
  intervalMs?: number;
}

interface Watched {
  work: string;
  controller: AbortController;
  tripped: MemoryLimitError | undefined;
}

export class MemoryGuard {
  private readonly watched = new Set<Watched>();
  private timer: NodeJS.Timeout | undefined;
  private readonly readRss: MemoryReader;

  constructor(private readonly options: MemoryGuardOptions) {
    this.readRss = options.readRss ?? (() => process.memoryUsage.rss());
  }

  /**
   * Runs `body` with a signal that aborts when `signal` does (Temporal's cancellation) or when
   * the process passes the memory limit. `work` names what runs, for the error: the model, or
   * the activity's phase.
   */
  async run<T>(work: string, signal: AbortSignal, body: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const forward = () => controller.abort(signal.reason);
    if (signal.aborted) forward();
    else signal.addEventListener('abort', forward, { once: true });
    const watched: Watched = { work, controller, tripped: undefined };
    this.watch(watched);
    try {
      return await body(controller.signal);
    } catch (error) {
      if (watched.tripped !== undefined && !signal.aborted) throw watched.tripped;
      if (error instanceof EngineMemoryLimitError) throw this.refusedBy(error, work);
      throw error;
    } finally {
      this.unwatch(watched);
      signal.removeEventListener('abort', forward);
    }
  }

  /** Executions being watched right now (for tests and diagnostics). */
  get watching(): number {
    return this.watched.size;
  }

  private watch(watched: Watched): void {
    if (this.options.maxMemoryMb === undefined) return;
    this.watched.add(watched);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sample(), this.options.intervalMs ?? MEMORY_SAMPLE_INTERVAL_MS);
      this.timer.unref();
    }
  }

  private unwatch(watched: Watched): void {
    this.watched.delete(watched);
    if (this.watched.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private sample(): void {
    const limit = this.options.maxMemoryMb;
    if (limit === undefined) return;
    const rss = this.readRss();
    if (rss <= limit * MIB) return;
    const rssMb = Math.round(rss / MIB);
    for (const watched of this.watched) {
      if (watched.tripped !== undefined || watched.controller.signal.aborted) continue;
      watched.tripped = new MemoryLimitError(
        `memory limit: executor ${this.options.identity} passed SLUICE_MAX_MEMORY_MB=${limit} (rss ${rssMb} MB) while running ${watched.work}; the batch was stopped and rolled back`,
        this.options.identity,
        watched.work,
        limit,
        rssMb,
      );
      watched.controller.abort(watched.tripped);
    }
  }

  private refusedBy(error: EngineMemoryLimitError, work: string): MemoryLimitError {
    const limit = this.options.maxMemoryMb;
    const setting =
      limit !== undefined && error.limit === `${limit}MiB`
        ? `SLUICE_MAX_MEMORY_MB=${limit}`
        : `${error.limit ?? 'its default'}`;
    return new MemoryLimitError(
      `memory limit: executor ${this.options.identity} reached DuckDB's memory_limit (${setting}) on gateway "${error.gateway}" while running ${work}; the batch was stopped and rolled back (${error.engineMessage})`,
      this.options.identity,
      work,
      limit,
      undefined,
    );
  }
}
