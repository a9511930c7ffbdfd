/**
 * `sweepStoredPayloads`: the janitor's sweep of the payloads kept in the state database
 * (crypto/stored-payload-codec.ts). It asks Temporal when the oldest open workflow of the namespace
 * began and how long the namespace keeps closed histories, and deletes the payloads last stored
 * before both (core/stored-payload-cutoff.ts): no history that can still be replayed or read names
 * them. A dry run only counts them. Without a Temporal client nothing can be told and nothing goes.
 */
import { z } from 'zod';
import { storedPayloadCutoff } from '../../core/stored-payload-cutoff.ts';
import { countStoredPayloadsBefore, deleteStoredPayloadsBefore } from '../../state/stored-payloads.ts';
import type { StoredPayloadSweep } from '../contracts.ts';
import type { SchedulerContext } from './context.ts';
import { parseInput } from './input.ts';

export async function sweepStoredPayloads(
  ctx: SchedulerContext,
  args: { dryRun: boolean },
): Promise<StoredPayloadSweep> {
  const { dryRun } = parseInput('sweepStoredPayloads', z.object({ dryRun: z.boolean() }), args);
  const temporal = ctx.temporal;
  if (temporal === undefined) return { before: null, payloads: 0, bytes: 0 };
  const now = ctx.now();
  const namespace = await temporal.workflowService.describeNamespace({
    namespace: temporal.options.namespace,
  });
  const ttl = namespace.config?.workflowExecutionRetentionTtl;
  const retentionMs = Number(ttl?.seconds ?? 0) * 1000 + Math.floor((ttl?.nanos ?? 0) / 1e6);
  let oldestOpenStart: number | null = null;
  for await (const workflow of temporal.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
    const start = workflow.startTime.getTime();
    if (oldestOpenStart === null || start < oldestOpenStart) oldestOpenStart = start;
  }
  const before = storedPayloadCutoff({ now, retentionMs, oldestOpenStart });
  const swept = dryRun
    ? await countStoredPayloadsBefore(ctx.db, before)
    : await deleteStoredPayloadsBefore(ctx.db, before);
  return { before, ...swept };
}
