/**
 * Tells the workflow that runs a segment which batches ended, while the segment goes on: a signal
 * (SEGMENT_PROGRESS_SIGNAL) with the results since the last one, sent at once for the first and
 * then at most once per `intervalMs`, one at a time. The workflow records them and lets its
 * environment know, so a model finished early is not held back by a slow one in the same segment.
 * What it cannot send is not lost: the heartbeats and the activity's result carry every result too.
 */
import type { Client } from '@temporalio/client';
import { type BatchResult, SEGMENT_PROGRESS_SIGNAL } from '../contracts.ts';

/** How often, at most, a running segment signals its workflow. */
export const SEGMENT_PROGRESS_INTERVAL_MS = 1_000;

export class SegmentReporter {
  private sent = 0;
  private lastAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private latest: readonly BatchResult[] = [];
  private stopped = false;

  constructor(
    private readonly client: Client | undefined,
    /** the workflow to tell; none for an activity no workflow started. */
    private readonly workflow: { workflowId: string; runId?: string } | undefined,
    private readonly segmentId: string,
    /** results an earlier attempt reported already. */
    resumed: number,
    private readonly intervalMs = SEGMENT_PROGRESS_INTERVAL_MS,
  ) {
    this.sent = resumed;
  }

  /** Every result so far, in the order they ended; only the new ones are sent. */
  update(results: readonly BatchResult[]): void {
    if (this.stopped || this.client === undefined || this.workflow === undefined) return;
    this.latest = results;
    if (results.length <= this.sent || this.timer !== undefined || this.sending !== undefined) return;
    const wait = Math.max(0, this.lastAt + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.send();
    }, wait);
    this.timer.unref();
  }

  /** No more signals: the activity's result says the rest. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private send(): void {
    if (this.stopped || this.client === undefined || this.workflow === undefined) return;
    const fresh = this.latest.slice(this.sent);
    if (fresh.length === 0) return;
    this.sent = this.latest.length;
    this.lastAt = Date.now();
    const handle = this.client.workflow.getHandle(this.workflow.workflowId, this.workflow.runId);
    this.sending = handle
      .signal(SEGMENT_PROGRESS_SIGNAL, this.segmentId, fresh)
      .catch(() => {
        // the workflow hears of these batches from the activity's result instead
      })
      .finally(() => {
        this.sending = undefined;
        this.update(this.latest);
      });
  }
}
