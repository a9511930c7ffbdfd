/** What every scheduler activity works with. */
import type { Client } from '@temporalio/client';
import type { StateDb } from '../../db/client.ts';
import type { PlanCache } from './plan-cache.ts';

export interface SchedulerContext {
  db: StateDb;
  /** asks Temporal whether runs are still going; without it every other run counts as running. */
  temporal?: Client;
  /** epoch ms. */
  now: () => number;
  plans: PlanCache;
}
