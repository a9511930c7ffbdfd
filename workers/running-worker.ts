/**
 * A started worker as the process entry points hold it: what it serves, a promise that settles
 * when it stops, and a `stop()` that drains it (in-flight activities get the shutdown grace time
 * to finish, then are cancelled) and releases what it owns.
 */

import type { Worker } from '@temporalio/worker';
import { DEFAULT_SHUTDOWN_GRACE_MS } from '../config/defaults.ts';

/** How long past the grace time a stopping worker may take before it gives up on a clean stop. */
export const SHUTDOWN_FORCE_MARGIN_MS = 15_000;

/** Worker options for a stop that gives in-flight work `graceMs` to finish. */
export function shutdownTimes(graceMs: number = DEFAULT_SHUTDOWN_GRACE_MS): {
  shutdownGraceTime: number;
  shutdownForceTime: number;
} {
  return { shutdownGraceTime: graceMs, shutdownForceTime: graceMs + SHUTDOWN_FORCE_MARGIN_MS };
}

export interface RunningWorker {
  worker: Worker;
  taskQueue: string;
  identity: string;
  /** settles when the worker has stopped; rejects when it stopped because of an error. */
  done: Promise<void>;
  /** asks the worker to stop, waits until it has drained, then releases what it owns. */
  stop(): Promise<void>;
}

/** Runs `worker` until it is stopped; `release` runs once it has stopped, however it stopped. */
export function runWorker(
  worker: Worker,
  identity: string,
  release: () => Promise<void> = async () => {},
): RunningWorker {
  const done = worker.run().finally(release);
  // a failure is reported through `done` and `stop()`; this keeps it from being unhandled meanwhile
  done.catch(() => {});
  return {
    worker,
    taskQueue: worker.options.taskQueue,
    identity,
    done,
    async stop() {
      // a worker asked to stop the moment it was started may not be running yet
      while (worker.getState() === 'INITIALIZED') await new Promise((resolve) => setTimeout(resolve, 10));
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
