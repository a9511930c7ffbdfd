/** What every scheduler activity works with. */
import type { Client } from '@temporalio/client';
import type { ArtifactStore } from '../../artifacts/store.ts';
import type { StateDb } from '../../db/client.ts';
import type { EnvironmentModelsCache } from './environment-models.ts';
import type { PlanCache } from './plan-cache.ts';

export interface SchedulerContext {
  db: StateDb;
  /** asks Temporal whether runs are still going; without it every other run counts as running. */
  temporal?: Client;
  /** epoch ms. */
  now: () => number;
  plans: PlanCache;
  /** the environments' models loaded last (environment-models.ts), for every segment of a run. */
  environments: EnvironmentModelsCache;
  /** where runs and plans leave their artifacts; none are written without it. */
  artifacts?: ArtifactStore;
  /** how long artifacts are kept (SLUICE_ARTIFACT_RETENTION); null or absent: forever. */
  artifactRetentionMs?: number | null;
  /** how old an unused snapshot must be before the janitor drops its table (SLUICE_JANITOR_GRACE). */
  janitorGraceMs?: number;
}
