/**
 * Heartbeats of a running executor activity. Each finished statement heartbeats its progress, and
 * a timer repeats the latest progress every few seconds while a statement runs, so the server
 * notices a dead executor within the activity's heartbeat timeout however long a statement takes.
 * Heartbeats are also how Temporal delivers a cancellation to the activity.
 */

import type { Context } from '@temporalio/activity';

/** How often the latest progress is repeated when the activity has no heartbeat timeout to go by. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;

/** A third of the heartbeat timeout (so two beats may be lost), at most the default interval. */
export function heartbeatInterval(heartbeatTimeoutMs: number | undefined): number {
  if (heartbeatTimeoutMs === undefined || heartbeatTimeoutMs <= 0) return DEFAULT_HEARTBEAT_INTERVAL_MS;
  return Math.max(100, Math.min(DEFAULT_HEARTBEAT_INTERVAL_MS, Math.floor(heartbeatTimeoutMs / 3)));
}

export class HeartbeatPulse {
  private latest: unknown;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly context: Context,
    first: unknown,
    intervalMs: number = heartbeatInterval(context.info.heartbeatTimeoutMs),
  ) {
    this.latest = first;
    this.context.heartbeat(first);
    this.timer = setInterval(() => this.context.heartbeat(this.latest), intervalMs);
    this.timer.unref();
  }

  /** Records and sends new progress. */
  beat(detail: unknown): void {
    this.latest = detail;
    this.context.heartbeat(detail);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** Runs `work` with a pulse that stops when it settles. */
export async function withHeartbeat<T>(
  context: Context,
  first: unknown,
  intervalMs: number | undefined,
  work: (pulse: HeartbeatPulse) => Promise<T>,
): Promise<T> {
  const pulse = new HeartbeatPulse(context, first, intervalMs);
  try {
    return await work(pulse);
  } finally {
    pulse.stop();
  }
}
