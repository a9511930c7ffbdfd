/**
 * The environment's state machine driven by random sequences of the events its workflow feeds it:
 * signals and updates in any order, and random answers (failures included) to each loop command.
 * After every transition the invariants the environment promises must hold.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readyFor, triggerModelError } from '../../../core/environment/admission.ts';
import type { LoopCommand } from '../../../core/environment/commands.ts';
import type { EnvironmentEvent, LoopEvent, OutsideEvent } from '../../../core/environment/events.ts';
import { modelsInFlight } from '../../../core/environment/in-flight.ts';
import type { RunInFlight } from '../../../core/environment/memory.ts';
import type { PlanOutcome } from '../../../core/environment/records.ts';
import type { RunReport } from '../../../core/environment/run-report.ts';
import { nextTriggerTurn } from '../../../core/environment/trigger-queue.ts';
import { blockedByPauses, type ScheduledModel } from '../../../core/schedule.ts';
import { Driver, MINUTE } from './driver.ts';

function model(name: string, cron: string, dependsOn: string[] = []): ScheduledModel {
  return {
    name,
    snapshotId: `${name}@v1`,
    kind: 'FULL',
    cron,
    cronTz: 'UTC',
    dependsOn,
    gateway: 'warehouse',
  };
}

/** a -> b -> d, a -> c -> d, and e on its own, on different crons. */
const MODELS = [
  model('a', '0 * * * *'),
  model('b', '*/30 * * * *', ['a']),
  model('c', '0 * * * *', ['a']),
  model('d', '15 * * * *', ['b', 'c']),
  model('e', '*/20 * * * *'),
];
const NAMES = MODELS.map((m) => m.name);

/** One step of a random history: answer the loop's command, or something from outside. */
type Action =
  | { kind: 'answer'; fail: boolean; pick: number[]; early: number }
  | { kind: 'pauseEnvironment' }
  | { kind: 'resumeEnvironment' }
  | { kind: 'pauseModel'; model: number }
  | { kind: 'resumeModel'; model: number }
  | { kind: 'progress'; run: number; pick: number[] }
  | { kind: 'finish'; run: number }
  | { kind: 'submitPlan' }
  | { kind: 'cancelPlan'; plan: number }
  | { kind: 'trigger'; pick: number[]; includeUpstream: boolean; restate: boolean }
  | { kind: 'cancelQueued'; trigger: number }
  | { kind: 'sideFailed' };

const pick = fc.array(fc.nat(NAMES.length - 1), { maxLength: 4 });
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant('answer' as const),
      fail: fc.boolean(),
      pick,
      early: fc.nat(100),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'pauseEnvironment' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'resumeEnvironment' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('pauseModel' as const), model: fc.nat(NAMES.length - 1) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('resumeModel' as const), model: fc.nat(NAMES.length - 1) }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('progress' as const), run: fc.nat(), pick }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('finish' as const), run: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'submitPlan' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancelPlan' as const), plan: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('trigger' as const),
      pick,
      includeUpstream: fc.boolean(),
      restate: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancelQueued' as const), trigger: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'sideFailed' as const }) },
);

const OUTCOMES: PlanOutcome[] = ['failed', 'cancelled', 'terminated'];

/** Commands whose failure the workflow reports as `stepFailed` (the others cannot fail). */
const CAN_FAIL = new Set<LoopCommand['kind']>([
  'closedRuns',
  'applyPlan',
  'finishPlan',
  'clearIntervals',
  'recordSkips',
  'findDueWork',
  'startRun',
  'recordQueuedRun',
  'skipQueuedRun',
]);

/** The report of a run that ended well at `now`. */
function succeeded(runId: string, now: number): RunReport {
  return {
    runId,
    environment: 'prod',
    trigger: 'schedule',
    status: 'succeeded',
    scheduledAt: 0,
    startedAt: 0,
    finishedAt: now,
    models: {},
  };
}

class Simulation {
  d: Driver;
  /** the loop's command waiting for its answer. */
  pending: LoopCommand;
  started = new Set<string>();
  plans = 0;
  triggers = 0;
  uniques = 0;

  constructor(readonly queueTriggers: boolean) {
    this.d = new Driver(undefined, undefined, { queueTriggers });
    this.pending = this.loopCommand(this.feed({ type: 'started' }));
  }

  get runs(): RunInFlight[] {
    return Object.values(this.d.state.memory.runs);
  }

  feed(event: EnvironmentEvent) {
    const before = this.d.state;
    const commands = this.d.feed(event);
    checkInvariants(this, event, before);
    return commands;
  }

  loopCommand(commands: ReturnType<Driver['feed']>): LoopCommand {
    const loop = this.d.loop;
    // Each loop event is answered by exactly one loop command.
    expect(commands.filter((c) => c === loop)).toHaveLength(1);
    return loop!;
  }

  answerWith(event: LoopEvent): undefined {
    this.pending = this.loopCommand(this.feed(event));
  }

  outside(event: OutsideEvent): undefined {
    if (!readyFor(this.d.state, event.type)) return; // the workflow's handler would wait
    this.feed(event);
    // A signal never gives the loop a command.
    expect(this.d.loop).toBeUndefined();
  }

  act(a: Action): undefined {
    const s = this.d.state;
    this.d.now += 1000;
    switch (a.kind) {
      case 'answer':
        return this.answer(a);
      case 'pauseEnvironment':
        return this.outside({ type: 'pauseEnvironment', reason: 'maintenance', actor: 'ops' });
      case 'resumeEnvironment':
        return this.outside({ type: 'resumeEnvironment', actor: 'ops' });
      case 'pauseModel':
        return this.outside({ type: 'pauseModel', model: NAMES[a.model]!, reason: 'late', actor: 'ops' });
      case 'resumeModel':
        return this.outside({ type: 'resumeModel', model: NAMES[a.model]!, actor: 'ops' });
      case 'progress': {
        const run = this.runs[a.run % Math.max(1, this.runs.length)];
        if (!run) return;
        const models = Object.fromEntries(
          a.pick
            .map((i) => run.models[i % run.models.length]!)
            .map((m) => [
              m,
              {
                status: 'succeeded' as const,
                batches: 1,
                rowsAffected: 1,
                finishedAt: this.d.now,
                longestBatchMs: 1000,
              },
            ]),
        );
        return this.outside({ type: 'runProgress', runId: run.runId, models });
      }
      case 'finish': {
        const ids = [...this.started];
        const runId = ids[a.run % Math.max(1, ids.length)];
        if (!runId) return;
        this.outside({ type: 'runFinished', report: succeeded(runId, this.d.now) });
        // A run is released by its report, whether it was still in flight or already released.
        expect(this.d.state.memory.runs[runId]).toBeUndefined();
        return;
      }
      case 'submitPlan':
        return this.outside({ type: 'submitPlan', planId: `p${++this.plans}`, submittedBy: 'ci' });
      case 'cancelPlan':
        return this.outside({
          type: 'cancelPlan',
          planId: `p${(a.plan % Math.max(1, this.plans)) + 1}`,
          actor: 'ops',
        });
      case 'trigger': {
        const request = {
          models: [...new Set(a.pick.map((i) => NAMES[i]!))],
          includeUpstream: a.includeUpstream,
          ...(a.restate ? { restate: { start: 0, end: 3_600_000 } } : {}),
          requestedBy: 'dan',
        };
        if (!readyFor(s, 'triggerRun') || triggerModelError(s, request)) return;
        return this.outside({ type: 'triggerRun', request, runId: `t${++this.triggers}` });
      }
      case 'cancelQueued': {
        // A trigger asked for earlier, waiting or not, or one long started.
        if (this.triggers === 0) return;
        const runId = `t${(a.trigger % this.triggers) + 1}`;
        this.outside({ type: 'cancelQueuedRun', runId, actor: 'erin' });
        expect(this.d.state.memory.triggers.some((t) => t.runId === runId)).toBe(false);
        return;
      }
      case 'sideFailed':
        return this.outside({
          type: 'sideCommandFailed',
          what: 'recording the pause',
          message: 'state DB down',
        });
    }
  }

  answer(a: Extract<Action, { kind: 'answer' }>): undefined {
    const command = this.pending;
    if (a.fail && CAN_FAIL.has(command.kind)) return this.answerWith({ type: 'stepFailed', message: 'boom' });
    const d = this.d;
    switch (command.kind) {
      case 'loadSchedule':
        return this.answerWith({ type: 'scheduleLoaded', models: MODELS });
      case 'waitForRuns':
        if (this.runs.length === 0) return this.answerWith({ type: 'runsWaited', drained: true });
        d.now += command.timeoutMs;
        return this.answerWith({ type: 'runsWaited', drained: false });
      case 'closedRuns': {
        const closed = command.runIds.filter((_, i) => a.pick.includes(i));
        this.answerWith({ type: 'closedRunsFound', runIds: closed });
        // A run reported closed is released.
        for (const runId of closed) expect(d.state.memory.runs[runId]).toBeUndefined();
        return;
      }
      case 'applyPlan':
        if (a.pick.length % 2 === 0) return this.answerWith({ type: 'planApplied', models: MODELS });
        return this.answerWith({ type: 'planNotApplied', outcome: OUTCOMES[a.early % 3]!, message: 'no' });
      case 'finishPlan':
        return this.answerWith({ type: 'planEndRecorded', models: MODELS });
      case 'clearIntervals':
        return this.answerWith({ type: 'intervalsCleared' });
      case 'drawUnique':
        return this.answerWith({ type: 'uniqueDrawn', unique: `${++this.uniques}`.padStart(8, '0') });
      case 'recordSkips':
        return this.answerWith({ type: 'skipsRecorded' });
      case 'findDueWork': {
        // The state DB finds work for some of the models asked about, never for others.
        const work = command.models
          .filter((_, i) => !a.pick.includes(i))
          .map((m) => ({
            model: m,
            snapshotId: `${m}@v1`,
            gateway: 'warehouse',
            dependsOn: [],
            batches: [],
          }));
        return this.answerWith({ type: 'dueWorkFound', work });
      }
      case 'recordQueuedRun':
        return this.answerWith({ type: 'queuedRunRecorded' });
      case 'skipQueuedRun':
        return this.answerWith({ type: 'queuedRunSkipped' });
      case 'startRun':
        this.started.add(command.runId);
        return this.answerWith({ type: 'runStarted' });
      case 'checkHistory':
        return this.answerWith({ type: 'historyChecked', full: a.early < 10 });
      case 'awaitHandlers':
        return this.answerWith({ type: 'handlersFinished' });
      case 'sleep':
        if (d.state.dirty) {
          d.now += Math.floor(((command.timeoutMs ?? MINUTE) * a.early) / 100);
          return this.answerWith({ type: 'woke', timedOut: false });
        }
        if (command.timeoutMs === undefined) return; // nothing can wake it but a signal
        d.now += command.timeoutMs;
        return this.answerWith({ type: 'woke', timedOut: true });
      case 'continueAsNew': {
        // The next workflow run starts from the memory it was given, as JSON.
        const memory = JSON.parse(JSON.stringify(command.memory));
        this.d = new Driver(memory, d.now, { queueTriggers: this.queueTriggers });
        this.pending = this.loopCommand(this.feed({ type: 'started' }));
        return;
      }
    }
  }
}

function checkInvariants(sim: Simulation, event: EnvironmentEvent, before: Driver['state']): void {
  const { state, commands } = sim.d;
  const m = state.memory;

  // No model is in flight in two runs at once.
  const holders = new Map<string, string>();
  for (const run of Object.values(m.runs)) {
    for (const model of run.models.filter((x) => !run.done.includes(x))) {
      expect(
        holders.get(model),
        `${model} in flight in ${holders.get(model)} and ${run.runId}`,
      ).toBeUndefined();
      holders.set(model, run.runId);
    }
  }

  for (const command of commands) {
    // A model in flight is never asked for again until its run releases it.
    if (command.kind === 'findDueWork') {
      const inFlight = modelsInFlight(m);
      expect(command.models.filter((x) => inFlight.has(x))).toEqual([]);
    }
    // A triggered run (ids t1, t2, ...) never skips a model: it waits for it.
    if (command.kind === 'recordSkips' && state.config.queueTriggers) {
      expect(command.skips.filter((skip) => /^t\d+$/.test(skip.runId ?? ''))).toEqual([]);
    }
    // A plan starts only when no run is in flight.
    if (command.kind === 'applyPlan') expect(Object.keys(m.runs)).toEqual([]);
    // Continue-as-new only with no plan or trigger pending (a trigger recorded waiting for other
    // runs is carried), and with the whole memory.
    if (command.kind === 'continueAsNew') {
      expect(m.plans).toEqual([]);
      expect(nextTriggerTurn(m)).toBeNull();
      if (!state.config.queueTriggers) expect(m.triggers).toEqual([]);
      expect(command.memory).toEqual(m);
    }
  }

  // A paused model, or one downstream of a paused model, is never chosen for a scheduled run (a tick
  // or a catch-up). A pause that arrives while the run is being started does not stop it: the run
  // was decided before the pause.
  const step = state.step;
  if (
    (event.type === 'woke' || event.type === 'uniqueDrawn') &&
    'run' in step &&
    step.run.trigger === 'schedule'
  ) {
    const blocked = blockedByPauses(m.models, m.pauses);
    expect(step.run.wanted.filter((x) => blocked.has(x))).toEqual([]);
  }

  // A run's report releases it.
  if (event.type === 'runFinished') expect(m.runs[event.report.runId]).toBeUndefined();
  // The state is JSON and round-trips.
  expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  // The previous state was not changed by the transition.
  expect(before).not.toBe(state);
}

describe('the environment state machine, over random histories', () => {
  it.each([true, false])(
    'keeps its promises whatever happens in whatever order (triggers queue: %s)',
    (queueTriggers) => {
      fc.assert(
        fc.property(fc.array(action, { minLength: 1, maxLength: 200, size: 'max' }), (actions) => {
          const sim = new Simulation(queueTriggers);
          for (const a of actions) sim.act(a);
          // Every run started is released once its report arrives, and then nothing is in flight.
          for (const runId of sim.started) {
            sim.outside({ type: 'runFinished', report: succeeded(runId, sim.d.now) });
          }
          expect(sim.d.state.memory.runs).toEqual({});
          expect(modelsInFlight(sim.d.state.memory).size).toBe(0);
        }),
        { numRuns: queueTriggers ? 100 : 50 },
      );
    },
  );
});
