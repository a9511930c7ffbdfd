/**
 * The janitor's scheduler side: it chooses and records, and never touches a warehouse. Which
 * environments have expired, which physical tables no one uses any more (recorded `dropping` before
 * the apply executors drop them), and the drops done (recorded `dropped`, their snapshots deleted).
 * The drops themselves are the executors' (`dropTables`), where the credentials are.
 */
import { z } from 'zod';
import { chooseDrops as choose, expiredEnvironments as expired } from '../../state/janitor-choice.ts';
import { recordDropped, recordDropping } from '../../state/janitor-drops.ts';
import type { JanitorWork } from '../contracts.ts';
import type { SchedulerContext } from './context.ts';
import { epochMs, parseInput, text, textList } from './input.ts';
import { managedConnections, withManagedConnection } from './managed-connections.ts';

/** SLUICE_JANITOR_GRACE's default: a snapshot is at least a day old before its table is dropped. */
export const DEFAULT_JANITOR_GRACE_MS = 86_400_000;

export async function expiredEnvironments(ctx: SchedulerContext, args: { now: number }): Promise<string[]> {
  const { now } = parseInput('expiredEnvironments', z.object({ now: epochMs }), args);
  return expired(ctx.db, now);
}

export async function chooseDrops(
  ctx: SchedulerContext,
  args: { pass: string; dryRun: boolean },
): Promise<JanitorWork> {
  const { pass, dryRun } = parseInput('chooseDrops', z.object({ pass: text, dryRun: z.boolean() }), args);
  const now = ctx.now();
  const createdBefore = now - (ctx.janitorGraceMs ?? DEFAULT_JANITOR_GRACE_MS);
  const { drops, kept } = await choose(ctx.db, { createdBefore });
  if (!dryRun) await recordDropping(ctx.db, drops, pass, now);
  const sealed = await managedConnections(ctx.db);
  const groups = new Map<string, JanitorWork['groups'][number]['tables']>();
  for (const drop of drops) {
    groups.set(drop.gateway, [
      ...(groups.get(drop.gateway) ?? []),
      { snapshotId: drop.snapshotId, physicalTable: drop.physicalTable },
    ]);
  }
  return {
    createdBefore,
    groups: [...groups].map(([gateway, tables]) => withManagedConnection({ gateway, tables }, sealed)),
    kept,
  };
}

export async function recordDrops(
  ctx: SchedulerContext,
  args: { snapshotIds: string[]; executor: string },
): Promise<string[]> {
  const { snapshotIds, executor } = parseInput(
    'recordDrops',
    z.object({ snapshotIds: textList, executor: text }),
    args,
  );
  return recordDropped(ctx.db, snapshotIds, executor, ctx.now());
}
