import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASK_QUEUES } from '../../activities/contracts.ts';
import { ticksBetween } from '../../core/cron.ts';
import { environmentWorkflow } from '../../workflows/environment.ts';
import { stateQuery } from '../../workflows/signals.ts';
import { FakeExecutor, FakeScheduler, scheduled } from '../support/fake-activities.ts';
import { startTimeSkippingServer } from '../support/temporal.ts';
import { createHarness } from '../support/workflow-harness.ts';

const DAY = 86_400_000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * The wall clock of `zone` at instant `t`, read with Intl (independently of sluice's own time zone
 * arithmetic): the local date (YYYY-MM-DD), the local time (HH:MM) and the UTC offset in ms.
 */
function wallClock(zone: string, t: number): { date: string; time: string; offset: number } {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formats.set(zone, format);
  }
  const parts = format.formatToParts(new Date(t));
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)!.value;
  const asUtc = Date.UTC(
    Number(part('year')),
    Number(part('month')) - 1,
    Number(part('day')),
    Number(part('hour')),
    Number(part('minute')),
    Number(part('second')),
  );
  return {
    date: `${part('year')}-${part('month')}-${part('day')}`,
    time: `${part('hour')}:${part('minute')}`,
    offset: asUtc - (t - (((t % 1000) + 1000) % 1000)),
  };
}

/**
 * The first instant after `after` at which `zone`'s UTC offset moves in `direction` (+1: clocks go
 * forward, -1: they go back), on a local day that begins after `after`, and that day. Scans hour by
 * hour, then narrows the change down to the minute.
 */
function nextTransition(zone: string, after: number, direction: 1 | -1): { at: number; day: string } {
  const startDay = wallClock(zone, after).date;
  let t = after - (after % HOUR) + HOUR;
  for (let limit = t + 400 * DAY; t < limit; t += HOUR) {
    const change = wallClock(zone, t).offset - wallClock(zone, t - HOUR).offset;
    if (Math.sign(change) !== direction) continue;
    let [before, at] = [t - HOUR, t];
    while (at - before > MINUTE) {
      const mid = before + Math.floor((at - before) / 2 / MINUTE) * MINUTE;
      if (wallClock(zone, mid).offset === wallClock(zone, before).offset) before = mid;
      else at = mid;
    }
    const day = wallClock(zone, at).date;
    if (day > startDay) return { at, day };
  }
  throw new Error(`no offset change in ${zone} within 400 days after ${new Date(after).toISOString()}`);
}

describe('environment workflow over a simulated year', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startTimeSkippingServer();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('wakes at exactly every tick of two zones across both DST changes, with bounded history', async () => {
    const models = [
      // 02:30 does not exist in New York on spring-forward day; 01:30 happens twice in London on fall-back day.
      scheduled('ny.daily', '30 2 * * *', 'America/New_York'),
      scheduled('london.daily', '30 1 * * *', 'Europe/London'),
    ];
    const scheduler = new FakeScheduler(models);
    scheduler.produceWork = false;
    const harness = await createHarness(env, {
      scheduler: scheduler.activities(),
      run: new FakeExecutor().activities(),
    });
    await harness.run(async () => {
      const handle = await env.client.workflow.start(environmentWorkflow, {
        taskQueue: TASK_QUEUES.scheduler,
        workflowId: 'sluice-env-year',
        args: [{ environment: 'year', searchAttributes: false, maxHistoryEvents: 400 }],
      });
      const start = await env.currentTimeMs();
      // The next spring-forward day in New York and fall-back day in London after the start, wherever
      // the test server's clock begins; the simulated year is stretched to cover both when needed.
      const springForward = nextTransition('America/New_York', start, 1);
      const fallBack = nextTransition('Europe/London', start, -1);
      const span = Math.max(366 * DAY, Math.max(springForward.at, fallBack.at) + 2 * DAY - start);
      await env.sleep(span);
      const end = await env.currentTimeMs();

      for (const m of models) {
        const woke = scheduler.dueCalls.filter((c) => c.models.includes(m.name)).map((c) => c.now);
        const expected = ticksBetween(m.cron, m.cronTz, start, end);
        expect(expected.length).toBeGreaterThanOrEqual(365);
        // The workflow wakes at the tick itself (the test server may report the wake a few ms later).
        expect(woke.length).toBe(expected.length);
        woke.forEach((t, i) => {
          expect(t - expected[i]!).toBeGreaterThanOrEqual(0);
          expect(t - expected[i]!).toBeLessThan(1000);
        });
      }
      const wokeAt = (model: string) =>
        scheduler.dueCalls.filter((c) => c.models.includes(model)).map((c) => c.now - (c.now % 1000));

      // Spring forward in New York: 02:30 does not exist that day, the tick fires once, at the end of
      // the gap (03:00 EDT).
      const ny = wokeAt('ny.daily');
      expect(wallClock('America/New_York', springForward.at).time).toBe('03:00');
      expect(ny.filter((t) => wallClock('America/New_York', t).date === springForward.day)).toEqual([
        springForward.at,
      ]);
      // Fall back in London: 01:30 happens twice that day, the tick fires once, at the first one.
      const london = wokeAt('london.daily');
      const halfPastOne: number[] = [];
      for (let t = fallBack.at - 3 * HOUR; t < fallBack.at + 3 * HOUR; t += MINUTE) {
        const wall = wallClock('Europe/London', t);
        if (wall.date === fallBack.day && wall.time === '01:30') halfPastOne.push(t);
      }
      expect(halfPastOne).toHaveLength(2);
      expect(london.filter((t) => wallClock('Europe/London', t).date === fallBack.day)).toEqual([
        halfPastOne[0],
      ]);

      // Long life: the workflow continued as new, and no run's history grew past the limit.
      const { historyLength, runId } = await handle.describe();
      expect(runId).not.toBe(handle.firstExecutionRunId);
      expect(historyLength).toBeLessThan(450);
      const state = await handle.query(stateQuery);
      expect(state.nextWake?.at).toBeGreaterThan(end);
      await handle.terminate();
    });
  }, 240_000);
});
