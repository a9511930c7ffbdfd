/**
 * How a sluice process stops. On SIGTERM or SIGINT every service stops taking new work and lets
 * the work in flight finish within the shutdown grace time (activities still running then are
 * cancelled: their statements are stopped on the warehouse and rolled back, and Temporal retries
 * them elsewhere); then engine pools, the state database and connections close, in order. The exit
 * code is 0 when everything drained and closed cleanly. A second signal exits at once, unless it
 * comes within a second of the first: supervisors and wrappers (npm, tsx, `timeout`) forward the
 * terminal's Ctrl-C, so one keypress can arrive twice.
 *
 * Processes watch for the signals before they start anything: a signal during start-up then stops
 * the process as soon as it has started, instead of killing it half-way (which would leave, for
 * `sluice dev`, the Temporal dev server running).
 *
 * Temporal's runtime would otherwise shut workers down on the same signals by itself, before
 * anything else is closed; workers/runtime.ts installs it without that.
 */

import type { EventEmitter } from 'node:events';

/** Something that runs until stopped: a worker, or a stack of them. */
export interface Service {
  /** how the log names it, e.g. the task queue. */
  name: string;
  /** settles when the service has stopped, on request or on its own. */
  done: Promise<void>;
  stop(): Promise<void>;
}

export interface Resource {
  name: string;
  close(): Promise<void>;
}

export interface WatchOptions {
  /** the grace time in-flight work gets, for the log line. */
  graceMs: number;
  log?: (line: string) => void;
  signals?: readonly NodeJS.Signals[];
  /** where signals arrive; the process by default. */
  emitter?: EventEmitter;
  /** called on a second signal; exits the process by default. */
  forceExit?: () => void;
  /** a repeated signal this soon after the first is the same request; 1s by default. */
  repeatWindowMs?: number;
}

export interface ServeOptions extends WatchOptions {
  services: Service[];
  /** closed in this order once every service has stopped. */
  resources?: Resource[];
}

export interface SignalWatch {
  /** settles with the first signal. */
  requested: Promise<NodeJS.Signals>;
  /**
   * Serves until a signal arrives (or has arrived) or a service stops on its own, then stops
   * everything. Resolves with the exit code: 0 for a clean stop after a signal, 1 when anything
   * failed or stopped unasked.
   */
  serve(services: Service[], resources?: Resource[]): Promise<number>;
  /** stops watching, for a process that failed to start. */
  dispose(): void;
}

export const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/** Starts watching for shutdown signals; call before starting anything. */
export function watchShutdownSignals(options: WatchOptions): SignalWatch {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const emitter = options.emitter ?? process;
  const signals = options.signals ?? SHUTDOWN_SIGNALS;
  const forceExit = options.forceExit ?? (() => process.exit(1));

  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const requested = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = resolve;
  });
  let stopping = false;
  let firstSignalAt = 0;
  const listener = (signal: NodeJS.Signals) => {
    if (firstSignalAt > 0 && Date.now() - firstSignalAt < (options.repeatWindowMs ?? 1000)) return;
    if (stopping) {
      log(`received ${signal} again: exiting without waiting for work in flight`);
      forceExit();
      return;
    }
    stopping = true;
    firstSignalAt = Date.now();
    log(`received ${signal}: stopping; work in flight has up to ${formatMs(options.graceMs)} to finish`);
    onSignal(signal);
  };
  for (const signal of signals) emitter.on(signal, listener);
  const dispose = () => {
    for (const signal of signals) emitter.off(signal, listener);
  };

  async function serve(services: Service[], resources: Resource[] = []): Promise<number> {
    const stoppedAlone = services.map((service) =>
      service.done.then(
        () => ({ service, error: undefined as unknown }),
        (error: unknown) => ({ service, error }),
      ),
    );
    const first = await Promise.race([
      requested.then((signal) => ({ signal }) as const),
      ...stoppedAlone.map((p) => p.then((stopped) => ({ stopped }) as const)),
    ]);
    stopping = true;

    let failed = false;
    if ('stopped' in first) {
      failed = true;
      const { service, error } = first.stopped;
      log(
        `${service.name} stopped unexpectedly${error === undefined ? '' : `: ${describe(error)}`}; stopping`,
      );
    }
    const results = await Promise.allSettled(services.map((service) => service.stop()));
    for (const [index, result] of results.entries()) {
      if (result.status === 'rejected') {
        failed = true;
        log(`${services[index]!.name} did not stop cleanly: ${describe(result.reason)}`);
      }
    }
    for (const resource of resources) {
      try {
        await resource.close();
      } catch (error) {
        failed = true;
        log(`closing ${resource.name} failed: ${describe(error)}`);
      }
    }
    dispose();
    log(failed ? 'stopped with errors' : 'stopped cleanly');
    return failed ? 1 : 0;
  }

  return { requested, serve, dispose };
}

/** Watches for the signals and serves `services` until one arrives (see SignalWatch.serve). */
export function serveUntilSignal(options: ServeOptions): Promise<number> {
  return watchShutdownSignals(options).serve(options.services, options.resources);
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
