// A workflow that calls one activity the way workflows call the scheduler's quick activities.
import { proxyActivities } from '@temporalio/workflow';
import { SCHEDULER_ACTIVITY_OPTIONS } from '../../../workflows/scheduler-activity-options.ts';

export interface LivenessActivities {
  /** answers once the test lets it go; returns the attempt that answered. */
  hold(): Promise<number>;
}

const { hold } = proxyActivities<LivenessActivities>(SCHEDULER_ACTIVITY_OPTIONS);

/** Calls `hold` once; returns the attempt that answered. */
export async function holdOnce(): Promise<number> {
  return hold();
}
