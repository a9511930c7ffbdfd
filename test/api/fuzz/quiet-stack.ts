/**
 * Brings the stack to rest between batches, so a snapshot moves only when a request moves it: every
 * environment is paused (no schedule fires), no run is in flight and no plan is queued or applying
 * (what still runs after a while is cancelled), and two snapshots in a row agree.
 */
import type { Client } from '@temporalio/client';
import type { StateDb } from '../../../db/client.ts';
import { stateQuery } from '../../../workflows/signals.ts';
import { waitFor } from '../../support/waiting.ts';
import { type StateSnapshot, snapshotDifferences, takeSnapshot } from './state-snapshot.ts';

export type AdminCall = (
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; body: unknown }>;

const CANCEL_AFTER_MS = 15_000;
const GIVE_UP_AFTER_MS = 90_000;

export async function quietStack(db: StateDb, client: Client, admin: AdminCall): Promise<StateSnapshot> {
  const started = Date.now();
  let cancelled = false;
  let unsettled = 'runs or plans still in flight';
  const atRest = async (): Promise<StateSnapshot | undefined> => {
    const environments = (
      (await admin('GET', '/api/environments')).body as { items: Array<{ name: string }> }
    ).items;
    let busy = false;
    for (const { name } of environments) {
      const handle = client.workflow.getHandle(`sluice-env-${name}`);
      const state = await handle.query(stateQuery).catch(() => null);
      if (state === null) continue;
      if (!state.paused) {
        await admin('POST', `/api/environments/${encodeURIComponent(name)}/pause`, {
          reason: 'api fuzzer: quiet between batches',
        });
        busy = true;
      }
      if (state.runsInFlight.length > 0 || state.applyingPlan !== null || state.plansQueued.length > 0) {
        busy = true;
        if (Date.now() - started > CANCEL_AFTER_MS && !cancelled) {
          for (const run of state.runsInFlight)
            await admin('POST', `/api/runs/${encodeURIComponent(run.runId)}/cancel`);
          for (const plan of [state.applyingPlan, ...state.plansQueued.map((p) => p.planId)]) {
            if (plan !== null) await admin('POST', `/api/plans/${encodeURIComponent(plan)}/cancel`);
          }
          cancelled = true;
        }
      }
    }
    if (busy) {
      unsettled = 'runs or plans still in flight';
      return undefined;
    }
    const first = await takeSnapshot(db, client);
    const second = await takeSnapshot(db, client);
    const moving = snapshotDifferences(first, second);
    if (moving.length === 0) return second;
    unsettled = moving.join('; ');
    return undefined;
  };
  try {
    return await waitFor('the stack to come to rest', atRest, GIVE_UP_AFTER_MS);
  } catch (err) {
    throw new Error(`the stack does not come to rest: ${unsettled}`, { cause: err });
  }
}
