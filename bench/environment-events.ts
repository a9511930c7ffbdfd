/**
 * The environment state machine's cost per run-progress event, pure core (no Temporal): a run of
 * every model of a 100, 1,000 and 10,000-model environment reports its models one signal at a time,
 * and each signal costs the transitions the workflow feeds for it (`runProgress`, then the loop's
 * `woke` and `historyChecked`). "before" is the core of a baseline commit (extracted with
 * `git archive`), fed the way its workflow fed it; "after" is this tree's, fed the way the workflow
 * feeds it now.
 *
 *   npx tsx bench/environment-events.ts [baseline-ref]   (default: ad49643)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LoopCommand } from '../core/environment/commands.ts';
import type { EnvironmentEvent } from '../core/environment/events.ts';
import type { EnvironmentMachine } from '../core/environment/state.ts';
import type { ScheduledModel } from '../core/schedule.ts';

type Step = (
  state: EnvironmentMachine,
  event: EnvironmentEvent,
  now: number,
) => {
  state: EnvironmentMachine;
  commands: { kind: string }[];
};
interface Core {
  initialState: (
    config: { environment: string; stuckAfterMs: number },
    memory: undefined,
    now: number,
  ) => EnvironmentMachine;
  step: Step;
}

const SIZES = [100, 1_000, 10_000];
/** progress events timed per environment (each reports one model): fewer where "before" is slow. */
const EVENTS: Record<number, number> = { 100: 100, 1000: 200, 10000: 20 };
const START = Date.UTC(2026, 0, 1, 0, 0, 30);

/** `n` hourly models at staggered minutes, each reading the one before it in its chain of ten. */
function models(n: number): ScheduledModel[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `bench.m${i}`,
    snapshotId: `bench.m${i}@v1`,
    kind: 'FULL' as const,
    cron: `${i % 60} * * * *`,
    cronTz: 'UTC',
    dependsOn: i % 10 === 0 ? [] : [`bench.m${i - 1}`],
    gateway: 'warehouse',
  }));
}

class Feeder {
  state: EnvironmentMachine;
  now = START;
  pending: LoopCommand | undefined;
  constructor(
    private core: Core,
    private all: ScheduledModel[],
  ) {
    this.state = core.initialState({ environment: 'prod', stuckAfterMs: 3_600_000 }, undefined, START);
  }
  feed(event: EnvironmentEvent): void {
    const next = this.core.step(this.state, event, this.now);
    this.state = next.state;
    const loop = next.commands.find((c) => !['log', 'showDetails'].includes(c.kind));
    if (loop) this.pending = loop as LoopCommand;
  }
  /** Answers the loop's commands until it sleeps. */
  settle(): void {
    for (;;) {
      const command = this.pending;
      this.pending = undefined;
      if (!command || command.kind === 'sleep') return;
      this.feed(this.answer(command));
    }
  }
  answer(command: LoopCommand): EnvironmentEvent {
    switch (command.kind) {
      case 'loadSchedule':
        return { type: 'scheduleLoaded', models: this.all };
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
        return { type: 'uniqueDrawn', unique: '00000000' };
      default:
        throw new Error(`the bench does not answer ${command.kind}`);
    }
  }
}

/** ms per progress event, after starting one run of every model at the first whole-hour tick. */
function measure(core: Core, n: number): number {
  const all = models(n);
  const f = new Feeder(core, all);
  f.feed({ type: 'started' });
  f.settle();
  f.now = Date.UTC(2026, 0, 1, 1, 0, 0);
  f.feed({ type: 'woke', timedOut: true });
  f.settle();
  const runId = Object.keys(f.state.memory.runs)[0];
  if (!runId) throw new Error('no run started');
  const outcome = {
    status: 'succeeded' as const,
    batches: 1,
    rowsAffected: 1,
    finishedAt: f.now,
    longestBatchMs: 5,
  };
  const events = EVENTS[n] ?? 100;
  const t0 = performance.now();
  for (let i = 0; i < events; i++) {
    f.now += 10;
    f.feed({ type: 'runProgress', runId, models: { [all[i]!.name]: outcome } });
    f.feed({ type: 'woke', timedOut: false });
    f.settle();
  }
  return (performance.now() - t0) / events;
}

/** The baseline's core, extracted next to this tree (so it resolves the same node_modules). */
async function baselineCore(ref: string): Promise<{ core: Core; cleanup: () => void }> {
  const dir = mkdtempSync(join(process.cwd(), '.bench-baseline-'));
  execFileSync('sh', ['-c', `git archive ${ref} core | tar -x -C ${dir}`]);
  const transition = await import(pathToFileURL(join(dir, 'core/environment/transition.ts')).href);
  const state = await import(pathToFileURL(join(dir, 'core/environment/state.ts')).href);
  return {
    core: { initialState: state.initialState, step: transition.transition },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function currentCore(): Promise<Core> {
  const transition = await import('../core/environment/transition.ts');
  const state = await import('../core/environment/state.ts');
  // The workflow owns its state and feeds it in place when the core offers it.
  const step = (transition as { transitionInPlace?: Step }).transitionInPlace ?? transition.transition;
  return { initialState: state.initialState, step: step as Step };
}

const ref = process.argv[2] ?? 'ad49643';
const before = await baselineCore(ref);
try {
  const after = await currentCore();
  console.log(
    `ms per run-progress event (mean over 100, 200 and 20 events), before = ${ref}, after = this tree:`,
  );
  for (const n of SIZES) {
    const b = measure(before.core, n);
    const a = measure(after, n);
    console.log(
      `  ${String(n).padStart(6)} models: before ${b.toFixed(3)} ms   after ${a.toFixed(3)} ms   ${(b / a).toFixed(1)}x`,
    );
  }
} finally {
  before.cleanup();
}
