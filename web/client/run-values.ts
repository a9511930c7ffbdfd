/**
 * The statuses and triggers a run can have, for the runs page's filters. The lists are the API's
 * (its Run schema's enums): the types below fail to compile when one gains a value these lack.
 */
import type { Run } from './run-stream.ts';

export const RUN_STATUS_VALUES = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'skipped',
  'terminated',
] as const satisfies readonly Run['status'][];

export const RUN_TRIGGER_VALUES = [
  'schedule',
  'manual',
  'restatement',
  'plan',
] as const satisfies readonly Run['trigger'][];

type Exhaustive<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : Exclude<All, Listed>;
const statusesComplete: Exhaustive<Run['status'], (typeof RUN_STATUS_VALUES)[number]> = true;
const triggersComplete: Exhaustive<Run['trigger'], (typeof RUN_TRIGGER_VALUES)[number]> = true;
void statusesComplete;
void triggersComplete;
