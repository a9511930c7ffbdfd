/**
 * Liveness heartbeats for the scheduler's activities. A scheduler worker killed while it runs an
 * activity sends no answer and no failure; Temporal only retries the activity on another worker
 * once a timeout passes. With a heartbeat timeout of a second or two and this interceptor
 * heartbeating while the activity runs, that timeout is the heartbeat's, not the start-to-close
 * one: a tick whose worker died goes on seconds later, however long its activities may take.
 *
 * Only activities the workflow gave a heartbeat timeout heartbeat, and they carry no details: the
 * scheduler's activities never resume from details. Executor activities heartbeat their progress
 * themselves, so this interceptor is for the scheduler worker only.
 */
import type { Context } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';

/** Heartbeats this many times per heartbeat timeout, so a busy event loop still sends one in time. */
const BEATS_PER_TIMEOUT = 4;

/** Heartbeats every quarter of the activity's heartbeat timeout until it settles. */
export class LivenessHeartbeats implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: Context) {}

  async execute(
    input: ActivityExecuteInput,
    next: Next<ActivityInboundCallsInterceptor, 'execute'>,
  ): Promise<unknown> {
    const timeoutMs = this.ctx.info.heartbeatTimeoutMs;
    if (!timeoutMs) return next(input);
    // The first beat only after a quarter of the timeout: most of these activities end sooner and
    // never send one, and a worker that dies before its first beat is found out a timeout after the
    // start (after a beat, the server may take up to twice the timeout).
    const beat = setInterval(() => this.ctx.heartbeat(), Math.max(50, timeoutMs / BEATS_PER_TIMEOUT));
    try {
      return await next(input);
    } finally {
      clearInterval(beat);
    }
  }
}

/** The interceptor factory a worker's `interceptors.activity` takes. */
export const livenessHeartbeats = (ctx: Context) => ({ inbound: new LivenessHeartbeats(ctx) });
