// A minimal workflow that exercises what every sluice workflow relies on: the core cron module
// bundled into the sandbox (cron-parser with `fs` ignored), a durable timer, and an activity call.
import { proxyActivities, sleep } from '@temporalio/workflow';
import { nextTick } from '../../../core/cron.ts';

export interface SmokeActivities {
  stamp(label: string): Promise<string>;
}

const { stamp } = proxyActivities<SmokeActivities>({ startToCloseTimeout: '10 seconds' });

/** Sleeps until the next tick of `cron` in `tz`, then calls an activity; returns the tick it woke at. */
export async function sleepUntilNextTick(
  cron: string,
  tz: string,
): Promise<{ tick: number; woke: number; stamped: string }> {
  const tick = nextTick(cron, tz, Date.now());
  await sleep(tick - Date.now());
  const stamped = await stamp(`tick ${new Date(tick).toISOString()}`);
  return { tick, woke: Date.now(), stamped };
}

/** A short durable timer and an activity round trip, for servers that do not skip time. */
export async function shortSleepThenStamp(label: string): Promise<string> {
  await sleep('1 second');
  return stamp(label);
}
