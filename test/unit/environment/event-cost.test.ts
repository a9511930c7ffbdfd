/**
 * What one event costs the environment's state machine: an event that does not change the schedule
 * computes no cron tick, whatever the number of models and events; a tick, a pause or a new schedule
 * computes only what changed. The workflow's in-place transitions give the same states and commands
 * as the pure ones.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { EnvironmentCommand, LoopCommand } from '../../../core/environment/commands.ts';
import type { EnvironmentEvent } from '../../../core/environment/events.ts';
import { type EnvironmentMachine, initialState } from '../../../core/environment/state.ts';
import { transition, transitionInPlace } from '../../../core/environment/transition.ts';
import type { ScheduledModel } from '../../../core/schedule.ts';
import { HOUR, MINUTE, START } from './driver.ts';

// Every cron tick the machine computes goes through core/cron.ts: count them.
vi.mock('../../../core/cron.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../../core/cron.ts')>();
  return { ...actual, nextTick: vi.fn(actual.nextTick) };
});
const { nextTick } = await import('../../../core/cron.ts');
const cronCalls = vi.mocked(nextTick);

function models(n: number, cron: (i: number) => string): ScheduledModel[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `shop.m${i}`,
    snapshotId: `shop.m${i}@v1`,
    kind: 'FULL' as const,
    cron: cron(i),
    cronTz: 'UTC',
    dependsOn: i % 10 === 0 ? [] : [`shop.m${i - 1}`],
    gateway: 'warehouse',
  }));
}

const isLoop = (c: EnvironmentCommand): c is LoopCommand =>
  !['log', 'showDetails', 'recordPauseChange', 'cancelApply', 'recordPlanCancelled'].includes(c.kind);

/** Feeds the machine as the workflow does (in place), answering the loop's commands until it sleeps. */
class Feeder {
  state: EnvironmentMachine;
  now = START;
  pending: LoopCommand | undefined;
  constructor(
    readonly schedule: ScheduledModel[],
    readonly step = transitionInPlace,
  ) {
    this.state = initialState({ environment: 'prod', stuckAfterMs: HOUR }, undefined, START);
  }
  feed(event: EnvironmentEvent): EnvironmentCommand[] {
    const next = this.step(this.state, event, this.now);
    this.state = next.state;
    this.pending = next.commands.find(isLoop) ?? this.pending;
    return next.commands;
  }
  settle(): void {
    for (let command = this.pending; command && command.kind !== 'sleep'; command = this.pending) {
      this.pending = undefined;
      this.feed(this.answer(command));
    }
  }
  answer(command: LoopCommand): EnvironmentEvent {
    switch (command.kind) {
      case 'loadSchedule':
        return { type: 'scheduleLoaded', models: this.schedule };
      case 'closedRuns':
        return { type: 'closedRunsFound', runIds: [] };
      case 'findDueWork': {
        const work = command.models.map((model) => ({
          model,
          snapshotId: '',
          gateway: '',
          dependsOn: [],
          batches: [],
        }));
        return { type: 'dueWorkFound', work };
      }
      case 'startRun':
        return { type: 'runStarted' };
      case 'checkHistory':
        return { type: 'historyChecked', full: false };
      case 'drawUnique':
        return { type: 'uniqueDrawn', unique: '00000001' };
      case 'recordSkips':
        return { type: 'skipsRecorded' };
      default:
        throw new Error(`not answered here: ${command.kind}`);
    }
  }
  /** Sleeps until the wake-up and starts that tick's run. */
  tick(): void {
    this.now = this.state.wake!.at;
    this.feed({ type: 'woke', timedOut: true });
    this.settle();
  }
  progress(runId: string, model: string): void {
    const outcome = { status: 'succeeded' as const, batches: 1, rowsAffected: 1, finishedAt: this.now };
    this.now += 10;
    this.feed({ type: 'runProgress', runId, models: { [model]: outcome } });
    // The signal wakes the loop, which looks again and goes back to sleep.
    this.feed({ type: 'woke', timedOut: false });
    this.settle();
  }
}

beforeEach(() => {
  cronCalls.mockClear();
});

describe('the cost of an event', () => {
  it('a run progressing over a 2,000-model environment computes no cron tick, for 1,000 progress signals', () => {
    const MODELS = 2_000;
    const EVENTS = 1_000;
    const f = new Feeder(models(MODELS, () => '0 * * * *'));
    f.feed({ type: 'started' });
    f.settle();
    // Loading the schedule computes each model's next tick once.
    expect(cronCalls).toHaveBeenCalledTimes(MODELS);
    f.tick();
    // The tick passed for every model: each next tick is computed once more.
    expect(cronCalls).toHaveBeenCalledTimes(2 * MODELS);
    const [run] = Object.values(f.state.memory.runs);
    expect(run?.models).toHaveLength(MODELS);
    const wake = f.state.wake;

    cronCalls.mockClear();
    for (let i = 0; i < EVENTS; i++) f.progress(run!.runId, run!.models[i]!);
    expect(f.state.memory.runs[run!.runId]?.done).toHaveLength(EVENTS);
    expect(cronCalls).not.toHaveBeenCalled();
    expect(f.state.wake).toEqual(wake);
  });

  it('a tick computes again only the ticks that passed, and a pause none', () => {
    // Model i ticks at minute i % 60 of every hour: 1 in 60 at each minute.
    const f = new Feeder(models(600, (i) => `${i % 60} * * * *`));
    f.feed({ type: 'started' });
    f.settle();
    cronCalls.mockClear();
    f.tick();
    expect(f.state.wake?.at).toBe(START - 30_000 + 2 * MINUTE);
    expect(cronCalls).toHaveBeenCalledTimes(10);

    cronCalls.mockClear();
    f.feed({ type: 'pauseModel', model: 'shop.m2', reason: 'late', actor: 'ops' });
    f.feed({ type: 'woke', timedOut: false });
    f.settle();
    expect(cronCalls).not.toHaveBeenCalled();
    // shop.m2 (and its chain downstream, m3..m9) no longer wakes the environment at minute 2.
    expect(f.state.wake?.models).not.toContain('shop.m2');
    expect(f.state.wake?.models).toContain('shop.m62');
  });

  it('a new schedule computes the ticks of the models whose cron changed, and only theirs', () => {
    const f = new Feeder(models(100, () => '0 * * * *'));
    f.feed({ type: 'started' });
    f.settle();
    cronCalls.mockClear();
    const changed = models(100, (i) => (i < 5 ? '30 * * * *' : '0 * * * *'));
    f.feed({ type: 'submitPlan', planId: 'p1', submittedBy: 'ci' });
    f.feed({ type: 'woke', timedOut: false });
    expect(f.pending?.kind).toBe('applyPlan');
    f.feed({ type: 'planApplied', models: changed });
    expect(cronCalls).toHaveBeenCalledTimes(5);
    expect(f.state.wake).toEqual({
      at: START - 30_000 + 30 * MINUTE,
      models: ['shop.m0', 'shop.m1', 'shop.m2', 'shop.m3', 'shop.m4'],
    });
  });
});

describe('in-place transitions', () => {
  it('give the states and commands the pure transitions give', () => {
    const schedule = models(40, (i) => `${(i * 7) % 60} * * * *`);
    const inPlace = new Feeder(schedule);
    const pure = new Feeder(schedule, transition);
    const both = (act: (f: Feeder) => void) => {
      act(inPlace);
      act(pure);
      expect(JSON.parse(JSON.stringify(inPlace.state))).toEqual(pure.state);
      expect(inPlace.pending).toEqual(pure.pending);
    };
    both((f) => {
      f.feed({ type: 'started' });
      f.settle();
    });
    for (let round = 0; round < 6; round++) {
      both((f) => f.tick());
      const runs = Object.values(inPlace.state.memory.runs);
      for (const run of runs.slice(0, 1)) {
        for (const model of run.models.slice(0, 3)) both((f) => f.progress(run.runId, model));
      }
      if (round === 1)
        both((f) => f.feed({ type: 'pauseModel', model: 'shop.m1', reason: 'late', actor: 'ops' }));
      if (round === 2) {
        both((f) => f.feed({ type: 'pauseEnvironment', reason: 'upgrade', actor: 'ops' }));
        both((f) => {
          f.feed({ type: 'woke', timedOut: false });
          f.settle();
        });
        expect(inPlace.state.wake).toBeNull();
        both((f) => f.feed({ type: 'resumeEnvironment', actor: 'ops' }));
      }
      if (round === 4) both((f) => f.feed({ type: 'resumeModel', model: 'shop.m1', actor: 'ops' }));
      if (round % 2 === 1 && runs[0]) {
        const report = { runId: runs[0].runId, environment: 'prod', trigger: 'schedule' as const };
        both((f) =>
          f.feed({
            type: 'runFinished',
            report: {
              ...report,
              status: 'succeeded',
              scheduledAt: 0,
              startedAt: 0,
              finishedAt: f.now,
              models: {},
            },
          }),
        );
      }
      both((f) => {
        f.feed({ type: 'woke', timedOut: false });
        f.settle();
      });
    }
  });
});
