import { describe, expect, it } from 'vitest';
import { fingerprintProject } from '../../../core/fingerprint.ts';
import { diffProject, snapshotIdOf } from '../../../core/plan/diff.ts';
import { formatPlanDiff, formatRange } from '../../../core/plan/format.ts';
import type { CurrentSnapshots } from '../../../core/plan/types.ts';
import type { Model } from '../../../core/project/types.ts';
import { HOUR, incremental, model, t } from './models.ts';

const NOW = t('2024-01-10T06:00:00Z');

const models: Model[] = [
  model('raw.events', { kind: { name: 'SEED', path: 'seeds/events.csv' } }),
  model('stage.events', {
    kind: incremental(5),
    query: 'SELECT * FROM raw.events',
    dependsOn: ['raw.events'],
  }),
  model('mart.daily', { query: 'SELECT count(*) FROM stage.events', dependsOn: ['stage.events'] }),
  model('mart.latest', {
    kind: { name: 'VIEW', materialized: false },
    query: 'SELECT 1',
    dependsOn: ['mart.daily'],
  }),
];

function mapOf(list: Model[]): CurrentSnapshots {
  const fingerprints = fingerprintProject(list, {});
  return Object.fromEntries(
    list.map((m) => {
      const f = fingerprints[m.name]!;
      return [m.name, { snapshotId: snapshotIdOf(m.name, f.fingerprint), ...f, definition: m }];
    }),
  );
}

const plan = (list: Model[], current: CurrentSnapshots, environment = 'prod', base?: string | null) =>
  diffProject({
    environment,
    models: list,
    fingerprints: fingerprintProject(list, {}),
    current,
    completed: {},
    now: NOW,
    ...(base === undefined ? {} : { base }),
  });

describe('formatPlanDiff', () => {
  it('prints a new environment with its backfill as sqlmesh plan does', () => {
    expect(formatPlanDiff(plan(models, {}, 'prod', null))).toBe(
      [
        '`prod` environment will be initialized',
        'Summary of differences from `prod`:',
        'Added Models:',
        '- raw.events',
        '- stage.events',
        '- mart.daily',
        '- mart.latest',
        'Models needing backfill:',
        '* raw.events: [insert seed file]',
        '* stage.events: [2024-01-01 - 2024-01-05, 2024-01-06 - 2024-01-09] (2 batches)',
        '* mart.daily: [full refresh] 2024-01-01 - 2024-01-09',
        '* mart.latest: [recreate view]',
        '',
      ].join('\n'),
    );
  });

  it('prints each kind of change in its own section', () => {
    const after = models
      .filter((m) => m.name !== 'mart.latest')
      .map((m) => (m.name === 'stage.events' ? { ...m, query: 'SELECT * FROM raw.events WHERE 1 = 1' } : m))
      .map((m) => (m.name === 'raw.events' ? { ...m, owner: 'data' } : m));
    expect(formatPlanDiff(plan(after, mapOf(models)))).toBe(
      [
        'Summary of differences from `prod`:',
        'Removed Models:',
        '- mart.latest',
        'Directly Modified:',
        '- stage.events',
        'Indirectly Modified:',
        '- mart.daily',
        'Metadata Updated:',
        '- raw.events',
        'Models needing backfill:',
        '* stage.events: [2024-01-01 - 2024-01-05, 2024-01-06 - 2024-01-09] (2 batches)',
        '* mart.daily: [full refresh] 2024-01-01 - 2024-01-09',
        '',
      ].join('\n'),
    );
  });

  it('says when there is nothing to change and when the plan only swaps views', () => {
    expect(formatPlanDiff(plan(models, mapOf(models), 'dev', 'prod'))).toBe(
      [
        'New environment `dev` will be created from `prod`',
        'No changes to plan: project files match the `prod` environment',
        'Virtual update only: no data to backfill, the views are swapped',
        '',
      ].join('\n'),
    );
  });

  it('shows the narrowed range of a development plan', () => {
    const diff = diffProject({
      environment: 'dev',
      models,
      fingerprints: fingerprintProject(models, {}),
      current: mapOf(models.slice(0, 1)),
      completed: {},
      now: NOW,
      start: t('2024-01-08'),
    });
    expect(formatPlanDiff(diff)).toContain('Backfill range: 2024-01-08 00:00:00 - now\n');
    expect(formatPlanDiff(diff)).toContain('* stage.events: [2024-01-08 - 2024-01-09] (1 batch)\n');
  });
});

describe('formatRange', () => {
  it('shows whole days with the last day included and other ranges to the second', () => {
    expect(formatRange([t('2024-01-01'), t('2024-01-02')])).toBe('2024-01-01 - 2024-01-01');
    expect(formatRange([t('2024-01-01'), t('2024-01-01') + 2 * HOUR])).toBe(
      '2024-01-01 00:00:00 - 2024-01-01 01:59:59',
    );
  });
});
