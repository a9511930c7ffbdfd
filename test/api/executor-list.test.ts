/**
 * How `GET /api/executors` merges the registry with Temporal's pollers and decides each status, at
 * times the integration test cannot wait for (an idle long poll, a goodbye an hour old), and the
 * gone-after setting.
 */
import { describe, expect, it } from 'vitest';
import { executorRoutes, LONG_POLL_MS, listExecutors } from '../../api/routes/executors.ts';
import { DEFAULT_EXECUTOR_GONE_AFTER_MS } from '../../config/defaults.ts';
import { readVariables } from '../../config/read.ts';
import type { ExecutorEntry } from '../../workflows/executor-registry.ts';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const GONE = 60_000;

function entry(identity: string, at: number, extra: Partial<ExecutorEntry> = {}): ExecutorEntry {
  return {
    identity,
    role: 'run',
    taskQueue: 'sluice-run',
    version: '0.1.0',
    gateways: ['warehouse', 'local'],
    startedAt: at - 3_600_000,
    at,
    health: 'ok',
    inFlight: 1,
    stoppedAt: null,
    heardAt: at,
    ...extra,
  };
}

describe('executor list', () => {
  it('is up while heartbeats are recent, gone after the gone-after time', () => {
    const [fresh, stale] = [
      listExecutors({ a: entry('a', NOW - GONE) }, [], NOW, GONE)[0]!,
      listExecutors({ a: entry('a', NOW - GONE - 1) }, [], NOW, GONE)[0]!,
    ];
    expect(fresh).toMatchObject({ status: 'up', gateways: ['local', 'warehouse'], polling: false });
    expect(stale.status).toBe('gone');
    expect(stale.lastSeen).toBe(new Date(NOW - GONE - 1).toISOString());
  });

  it('is stopped for the gone-after time after a goodbye, then gone', () => {
    const stopped = entry('a', NOW - 5 * GONE, { stoppedAt: NOW - GONE });
    expect(listExecutors({ a: stopped }, [], NOW, GONE)[0]).toMatchObject({
      status: 'stopped',
      stoppedAt: new Date(NOW - GONE).toISOString(),
      lastSeen: new Date(NOW - GONE).toISOString(),
    });
    expect(listExecutors({ a: stopped }, [], NOW + 1, GONE)[0]!.status).toBe('gone');
  });

  it('lists a poller that never reported, up through an idle long poll', () => {
    const poller = (lastAccess: number) => [{ identity: 'old', role: 'apply' as const, lastAccess }];
    const idle = listExecutors({}, poller(NOW - GONE - LONG_POLL_MS), NOW, GONE)[0]!;
    expect(idle).toEqual({
      identity: 'old',
      role: 'apply',
      taskQueue: 'sluice-apply',
      version: null,
      gateways: null,
      startedAt: null,
      lastSeen: new Date(NOW - GONE - LONG_POLL_MS).toISOString(),
      health: null,
      inFlight: null,
      status: 'up',
      stoppedAt: null,
      polling: false,
    });
    expect(listExecutors({}, poller(NOW - GONE - LONG_POLL_MS - 1), NOW, GONE)[0]!.status).toBe('gone');
    expect(listExecutors({}, poller(NOW - 1_000), NOW, GONE)[0]!.polling).toBe(true);
  });

  it('merges a poller into the report of the same role and identity only', () => {
    const items = listExecutors(
      { a: entry('a', NOW) },
      [
        { identity: 'a', role: 'run', lastAccess: NOW - 1_000 },
        { identity: 'a', role: 'apply', lastAccess: NOW - 1_000 },
      ],
      NOW,
      GONE,
    );
    expect(items.map((e) => [e.role, e.identity, e.polling, e.version])).toEqual([
      ['apply', 'a', true, null],
      ['run', 'a', true, '0.1.0'],
    ]);
  });

  it('reads SLUICE_EXECUTOR_GONE_AFTER and refuses values that are not durations above zero', () => {
    const goneAfter = (env: Record<string, string>) =>
      readVariables(['SLUICE_EXECUTOR_GONE_AFTER'], env).SLUICE_EXECUTOR_GONE_AFTER;
    expect(goneAfter({})).toBe(DEFAULT_EXECUTOR_GONE_AFTER_MS);
    expect(goneAfter({ SLUICE_EXECUTOR_GONE_AFTER: '2m' })).toBe(120_000);
    expect(goneAfter({ SLUICE_EXECUTOR_GONE_AFTER: '90' })).toBe(90_000);
    expect(goneAfter({ SLUICE_EXECUTOR_GONE_AFTER: '1500ms' })).toBe(1_500);
    for (const bad of ['soon', '0s', '-5s']) {
      expect(() => goneAfter({ SLUICE_EXECUTOR_GONE_AFTER: bad })).toThrow(
        `SLUICE_EXECUTOR_GONE_AFTER: expected a duration above zero such as 30s, 2m, 1h or 500ms, got "${bad}"`,
      );
    }
    expect(() => executorRoutes(0)).toThrow('the executor gone-after time must be above zero (got 0 ms)');
  });
});
