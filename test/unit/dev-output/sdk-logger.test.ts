/**
 * The Temporal SDK's log entries in sluice processes: an activity failure sluice expects and retries
 * (SNAPSHOT_BUSY) is one INFO line without a stack trace, hidden at the WARN level `sluice dev` runs
 * at; any other failure is still a warning with its error.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { LogEntry } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { DELIVERY_FAILED } from '../../../activities/notifications/deliver.ts';
import { palette } from '../../../cli/dev-output/colors.ts';
import { formatSdkLog } from '../../../cli/dev-output/sdk-log.ts';
import { SluiceLogger } from '../../../workers/runtime.ts';

function logged(level: 'INFO' | 'WARN', message: string, meta: Record<string, unknown>): LogEntry[] {
  const entries: LogEntry[] = [];
  new SluiceLogger(level, (entry) => entries.push(entry)).log('WARN', message, meta);
  return entries;
}

const busy = ApplicationFailure.create({
  message: 'prepareSegment: shop.orders [2026-01-01, 2026-01-02) is being executed by run sluice-run-dev-1',
  type: 'SNAPSHOT_BUSY',
});
const meta = { error: busy, activityType: 'prepareSegment', workflowId: 'sluice-run-prod-1', attempt: 2 };

describe('the SDK logger of sluice processes', () => {
  it('logs an expected SNAPSHOT_BUSY as one calm INFO line, and nothing at WARN', () => {
    const entries = logged('INFO', 'Activity failed', meta);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      level: 'INFO',
      message:
        'Activity will retry (SNAPSHOT_BUSY): prepareSegment: shop.orders [2026-01-01, 2026-01-02) is being executed by run sluice-run-dev-1 (prepareSegment, sluice-run-prod-1, attempt 2)',
    });
    expect(entries[0]!.meta ?? {}).not.toHaveProperty('error');
    const line = formatSdkLog(entries[0]!, palette(false));
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(/^\d\d:\d\d:\d\d info Activity will retry \(SNAPSHOT_BUSY\): /);
    expect(logged('WARN', 'Activity failed', meta)).toEqual([]);
  });

  it('logs a webhook delivery the receiver refused as one calm line too: the attempt is recorded', () => {
    const refused = ApplicationFailure.retryable(
      'delivery d1 to w1: the receiver answered 500',
      DELIVERY_FAILED,
    );
    const entries = logged('INFO', 'Activity failed', {
      ...meta,
      error: refused,
      activityType: 'deliverNotification',
    });
    expect(entries.map((e) => e.message)).toEqual([
      'Activity will retry (NOTIFICATION_DELIVERY_FAILED): delivery d1 to w1: the receiver answered 500 (deliverNotification, sluice-run-prod-1, attempt 2)',
    ]);
    expect(logged('WARN', 'Activity failed', { ...meta, error: refused })).toEqual([]);
  });

  it('still warns, with the error, for a failure it does not expect', () => {
    const sqlError = ApplicationFailure.create({
      message: 'Binder Error',
      type: 'SQL_ERROR',
      nonRetryable: true,
    });
    const entries = logged('WARN', 'Activity failed', { ...meta, error: sqlError });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ level: 'WARN', message: 'Activity failed' });
    expect(entries[0]!.meta).toHaveProperty('error', sqlError);
    expect(formatSdkLog(entries[0]!, palette(false))).toMatch(/ warn Activity failed .*Binder Error/s);
  });
});
