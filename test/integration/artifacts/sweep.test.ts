/**
 * The janitor's artifact sweep (the scheduler's `sweepArtifacts`) on a folder store, with the
 * clock injected: artifacts older than the retention go, newer ones stay, `forever` keeps all.
 */
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSchedulerActivities } from '../../../activities/scheduler/index.ts';
import { FolderArtifactStore } from '../../../artifacts/folder-store.ts';
import { createStateDb, type StateConnection } from '../../../db/client.ts';

const NOW = Date.UTC(2031, 5, 15, 12);
const DAY = 86_400_000;

describe('artifact sweep', () => {
  let state: StateConnection;
  let dir: string;
  let store: FolderArtifactStore;
  beforeAll(() => {
    state = createStateDb({ url: 'memory://' });
  });
  afterAll(() => state.close());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-sweep-'));
    store = new FolderArtifactStore(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** writes the artifacts of `owner` as if written `daysAgo` before NOW. */
  async function artifactsOf(
    owner: string,
    daysAgo: number,
    files = ['run_results.json', 'compiled/m/full.sql'],
  ) {
    for (const file of files) {
      await store.put(`${owner}/${file}`, 'x', 'text/plain');
      const at = new Date(NOW - daysAgo * DAY);
      utimesSync(join(dir, owner, file), at, at);
    }
  }

  const sweeper = (retentionMs: number | null) =>
    createSchedulerActivities({
      db: state.db,
      now: () => NOW,
      artifacts: store,
      artifactRetentionMs: retentionMs,
    });

  it('removes the runs and plans whose newest artifact is older than the retention, and keeps the rest', async () => {
    await artifactsOf('runs/old', 45);
    await artifactsOf('runs/recent', 29);
    await artifactsOf('plans/old-plan', 31, ['plan.txt']);
    await artifactsOf('plans/new-plan', 1, ['plan.txt']);
    // a run whose results were written again lately is kept whole
    await artifactsOf('runs/rewritten', 60, ['compiled/m/full.sql']);
    await artifactsOf('runs/rewritten', 2, ['run_results.json']);
    const swept = await sweeper(30 * DAY).sweepArtifacts();
    expect(swept).toEqual({ cutoff: NOW - 30 * DAY, removed: ['runs/old', 'plans/old-plan'], kept: 3 });
    expect((await store.list('')).map((a) => a.key)).toEqual([
      'plans/new-plan/plan.txt',
      'runs/recent/compiled/m/full.sql',
      'runs/recent/run_results.json',
      'runs/rewritten/compiled/m/full.sql',
      'runs/rewritten/run_results.json',
    ]);
  });

  it('keeps everything when the retention is forever', async () => {
    await artifactsOf('runs/ancient', 3650);
    expect(await sweeper(null).sweepArtifacts()).toEqual({ cutoff: null, removed: [], kept: 0 });
    expect(await store.list('runs/')).toHaveLength(2);
  });

  it('fails, leaving the artifacts, when the store cannot be read', async () => {
    await artifactsOf('runs/old', 45);
    const broken = new FolderArtifactStore(dir);
    broken.list = async () => {
      throw new Error('EACCES: permission denied');
    };
    const activities = createSchedulerActivities({
      db: state.db,
      now: () => NOW,
      artifacts: broken,
      artifactRetentionMs: DAY,
    });
    await expect(activities.sweepArtifacts()).rejects.toThrow('EACCES');
    expect(await store.list('runs/')).toHaveLength(2);
  });
});
