/**
 * Feeds events to the environment's state machine the way its workflow does, and splits what comes
 * back into the loop's one command, the handlers' side commands, and the logs and details shown.
 */
import {
  type EnvironmentCommand,
  isImmediateCommand,
  isSideCommand,
  type LoopCommand,
  type SideCommand,
} from '../../../core/environment/commands.ts';
import type { EnvironmentEvent } from '../../../core/environment/events.ts';
import type { EnvironmentMemory } from '../../../core/environment/memory.ts';
import type { ModelWork } from '../../../core/environment/model-work.ts';
import { type EnvironmentMachine, initialState } from '../../../core/environment/state.ts';
import { transition } from '../../../core/environment/transition.ts';
import type { ScheduledModel } from '../../../core/schedule.ts';

export const HOUR = 3_600_000;
export const MINUTE = 60_000;
/** 2026-01-01T00:00:30Z: every example starts half a minute after a cron boundary. */
export const START = Date.UTC(2026, 0, 1, 0, 0, 30);

/** An hourly INCREMENTAL_BY_TIME_RANGE model on the `warehouse` gateway. */
export function hourly(name: string, dependsOn: string[] = []): ScheduledModel {
  return {
    name,
    snapshotId: `${name}@v1`,
    kind: 'INCREMENTAL_BY_TIME_RANGE',
    cron: '0 * * * *',
    cronTz: 'UTC',
    dependsOn,
    gateway: 'warehouse',
  };
}

/** a -> b (b reads a), and c on its own. */
export const SHOP_MODELS = [hourly('shop.a'), hourly('shop.b', ['shop.a']), hourly('shop.c')];

/** What findDueWork answers for `models`: each due, with no batch (the machine does not look). */
export function work(models: string[]): ModelWork[] {
  return models.map((model) => ({
    model,
    snapshotId: `${model}@v1`,
    gateway: 'warehouse',
    dependsOn: [],
    batches: [],
  }));
}

export class Driver {
  state: EnvironmentMachine;
  now: number;
  /** every command of the last transition. */
  commands: EnvironmentCommand[] = [];

  constructor(memory?: EnvironmentMemory, now = START, options: { queueTriggers?: boolean } = {}) {
    this.now = now;
    this.state = initialState({ environment: 'prod', stuckAfterMs: HOUR, ...options }, memory, now);
  }

  feed(event: EnvironmentEvent): EnvironmentCommand[] {
    const next = transition(this.state, event, this.now);
    this.state = next.state;
    this.commands = next.commands;
    return next.commands;
  }

  /** The loop command of the last transition (there is exactly one after a loop event). */
  get loop(): LoopCommand | undefined {
    return this.commands.find((c): c is LoopCommand => !isImmediateCommand(c) && !isSideCommand(c));
  }

  get side(): SideCommand[] {
    return this.commands.filter(isSideCommand);
  }

  get logs(): string[] {
    return this.commands.flatMap((c) => (c.kind === 'log' ? [c.message] : []));
  }
}
