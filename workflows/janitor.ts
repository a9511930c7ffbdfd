/**
 * The janitor. A pass deletes the environments whose expiry has passed (each by its deletion
 * workflow, as a child), then drops the physical tables no environment and no open plan uses, stored
 * before the grace period (SLUICE_JANITOR_GRACE): the scheduler chooses them and records each
 * `dropping`, an apply executor drops them (IF EXISTS), the scheduler records them `dropped`. A pass
 * killed anywhere resumes at the next one from its `dropping` records, and drops nothing in use.
 *
 * Last, it deletes the payloads kept in the state database that no history names any more
 * (activities/scheduler/stored-payload-sweep.ts).
 *
 * `janitorWorkflow` runs a pass every hour, for ever (the scheduler worker starts it once, by its
 * fixed id; it continues as new every 24 passes); `janitorRunWorkflow` runs one pass now, or
 * only says what it would do (`sluice janitor run [--dry-run]`).
 */
import {
  continueAsNew,
  executeChild,
  log,
  patched,
  proxyActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { JanitorWork, SchedulerActivities, StoredPayloadSweep } from '../activities/contracts.ts';
import { deleteEnvironmentWorkflowId } from '../core/workflow-ids.ts';
import { failureMessage } from './activity-failure.ts';
import type { deleteEnvironmentWorkflow } from './delete-environment.ts';
import { maintenanceExecutor } from './maintenance-executor.ts';
import { SCHEDULE_LOAD_ACTIVITY_OPTIONS } from './scheduler-activity-options.ts';

export const JANITOR_WORKFLOW_ID = 'sluice-janitor';

export interface JanitorInput {
  /** between passes, in ms (an hour). */
  everyMs?: number;
}

export interface JanitorPassInput {
  dryRun?: boolean;
}

export interface JanitorPassResult {
  dryRun: boolean;
  /** expired environments deleted (or, on a dry run, that would be). */
  environments: string[];
  /** tables dropped (or, on a dry run, that would be), readers first. */
  dropped: Array<{ snapshotId: string; gateway: string; physicalTable: string | null }>;
  kept: JanitorWork['kept'];
  /** what failed: the pass went on with the rest, and the next pass tries again. */
  failures: Array<{ target: string; error: string }>;
  /**
   * the stored payloads no history names any more, deleted (or, on a dry run, that would be);
   * absent from passes that began before the janitor swept them.
   */
  storedPayloads?: StoredPayloadSweep;
}

const HOUR_MS = 3_600_000;
const PASSES_PER_HISTORY = 24;
/** Tables dropped per executor activity. */
export const DROPS_PER_ACTIVITY = 100;

const scheduler = proxyActivities<SchedulerActivities>(SCHEDULE_LOAD_ACTIVITY_OPTIONS);

export async function janitorWorkflow(input: JanitorInput = {}): Promise<void> {
  for (let n = 0; n < PASSES_PER_HISTORY; n++) {
    try {
      await janitorPass(false);
    } catch (err) {
      log.warn('the janitor pass failed; it runs again at its next turn', { error: failureMessage(err) });
    }
    await sleep(input.everyMs ?? HOUR_MS);
  }
  await continueAsNew<typeof janitorWorkflow>(input);
}

export async function janitorRunWorkflow(input: JanitorPassInput = {}): Promise<JanitorPassResult> {
  return janitorPass(input.dryRun === true);
}

async function janitorPass(dryRun: boolean): Promise<JanitorPassResult> {
  const result: JanitorPassResult = { dryRun, environments: [], dropped: [], kept: [], failures: [] };
  const expired = await scheduler.expiredEnvironments({ now: Date.now() });
  for (const environment of expired) {
    if (dryRun) {
      result.environments.push(environment);
      continue;
    }
    try {
      await executeChild<typeof deleteEnvironmentWorkflow>('deleteEnvironmentWorkflow', {
        workflowId: deleteEnvironmentWorkflowId(environment),
        args: [{ environment, deletedBy: 'janitor', auditReason: 'its expiry passed' }],
      });
      log.info('expired environment deleted', { environment });
      result.environments.push(environment);
    } catch (err) {
      // a deletion already under way (asked through the API) ends on its own
      result.failures.push({ target: `environment ${environment}`, error: failureMessage(err) });
    }
  }

  const info = workflowInfo();
  const work = await scheduler.chooseDrops({ pass: `${info.workflowId}/${info.runId}`, dryRun });
  result.kept = work.kept;
  for (const { gateway, tables, connection } of work.groups) {
    if (dryRun) {
      result.dropped.push(...tables.map((table) => ({ ...table, gateway })));
      continue;
    }
    // readers first: a failure stops this gateway, so no table goes before a view that reads it
    try {
      for (let from = 0; from < tables.length; from += DROPS_PER_ACTIVITY) {
        const chunk = tables.slice(from, from + DROPS_PER_ACTIVITY);
        const names = chunk.flatMap((table) => (table.physicalTable === null ? [] : [table.physicalTable]));
        const { executor } =
          names.length === 0
            ? { executor: 'none' }
            : await maintenanceExecutor.dropTables.executeWithOptions(
                { summary: `drop ${names.length} unused table(s) on ${gateway}` },
                [{ gateway, tables: names, ...(connection === undefined ? {} : { connection }) }],
              );
        await scheduler.recordDrops({ snapshotIds: chunk.map((table) => table.snapshotId), executor });
        log.info('unused tables dropped', { gateway, executor, tables: names });
        result.dropped.push(...chunk.map((table) => ({ ...table, gateway })));
      }
    } catch (err) {
      result.failures.push({ target: `gateway ${gateway}`, error: failureMessage(err) });
    }
  }
  if (patched('stored-payload-sweep')) {
    try {
      result.storedPayloads = await scheduler.sweepStoredPayloads({ dryRun });
    } catch (err) {
      result.failures.push({ target: 'stored payloads', error: failureMessage(err) });
    }
  }
  return result;
}
