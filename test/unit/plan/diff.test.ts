import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dag } from '../../../core/dag.ts';
import { fingerprintProject } from '../../../core/fingerprint.ts';
import type { Interval } from '../../../core/intervals.ts';
import { diffProject, snapshotIdOf } from '../../../core/plan/diff.ts';
import { PlanRequestError } from '../../../core/plan/request-error.ts';
import type { CurrentSnapshots } from '../../../core/plan/types.ts';
import type { Audit, Model } from '../../../core/project/types.ts';
import { DAY, incremental, model, t } from './models.ts';

const NOW = t('2024-01-10T06:00:00Z');

function project(): Model[] {
  return [
    model('raw.events', { kind: { name: 'SEED', path: 'seeds/events.csv' } }),
    model('stage.events', {
      kind: incremental(3),
      query: 'SELECT * FROM raw.events WHERE ds BETWEEN @start_ds AND @end_ds',
      dependsOn: ['raw.events'],
    }),
    model('mart.daily', {
      query: 'SELECT ds, count(*) AS n FROM stage.events GROUP BY ds',
      dependsOn: ['stage.events'],
    }),
    model('mart.latest', {
      kind: { name: 'VIEW', materialized: false },
      query: 'SELECT * FROM mart.daily',
      dependsOn: ['mart.daily'],
    }),
  ];
}

/** The snapshot map an environment has after applying `models` (with the project's `audits`). */
function mapOf(
  models: readonly Model[],
  withDefinitions = true,
  audits: Record<string, Audit> = {},
): CurrentSnapshots {
  const fingerprints = fingerprintProject(models, audits);
  return Object.fromEntries(
    models.map((m) => {
      const { fingerprint, metadataHash } = fingerprints[m.name]!;
      return [
        m.name,
        {
          snapshotId: snapshotIdOf(m.name, fingerprint),
          fingerprint,
          metadataHash,
          ...(withDefinitions ? { definition: m } : {}),
        },
      ];
    }),
  );
}

function diff(
  models: Model[],
  current: CurrentSnapshots = {},
  extra: {
    environment?: string;
    completed?: Record<string, Interval[]>;
    start?: number;
    end?: number;
    now?: number;
    base?: string | null;
    audits?: Record<string, Audit>;
  } = {},
) {
  return diffProject({
    environment: extra.environment ?? 'prod',
    models,
    fingerprints: fingerprintProject(models, extra.audits ?? {}),
    current,
    completed: extra.completed ?? {},
    now: extra.now ?? NOW,
    ...(extra.start === undefined ? {} : { start: extra.start }),
    ...(extra.end === undefined ? {} : { end: extra.end }),
    ...(extra.base === undefined ? {} : { base: extra.base }),
  });
}

function replace(models: Model[], name: string, change: Partial<Model>): Model[] {
  return models.map((m) => (m.name === name ? { ...m, ...change } : m));
}

describe('diffProject', () => {
  it('adds every model of a new environment and backfills each from its start to the last ready interval', () => {
    const models = project();
    const result = diff(models, {}, { base: null });
    const ids = mapOf(models);
    expect(result.base).toBeNull();
    expect(result.added).toEqual(['raw.events', 'stage.events', 'mart.daily', 'mart.latest']);
    expect(result.removed).toEqual([]);
    expect(result.directlyModified).toEqual([]);
    expect(result.newSnapshots.map((s) => s.snapshotId)).toEqual(models.map((m) => ids[m.name]!.snapshotId));
    expect(result.snapshotMap).toEqual(
      Object.fromEntries(models.map((m) => [m.name, ids[m.name]!.snapshotId])),
    );
    expect(result.backfill).toEqual([
      {
        model: 'raw.events',
        snapshotId: ids['raw.events']!.snapshotId,
        kind: 'SEED',
        execution: 'single',
        intervals: [[t('2024-01-01'), t('2024-01-10')]],
      },
      {
        model: 'stage.events',
        snapshotId: ids['stage.events']!.snapshotId,
        kind: 'INCREMENTAL_BY_TIME_RANGE',
        execution: 'batched',
        intervals: [
          [t('2024-01-01'), t('2024-01-04')],
          [t('2024-01-04'), t('2024-01-07')],
          [t('2024-01-07'), t('2024-01-10')],
        ],
      },
      {
        model: 'mart.daily',
        snapshotId: ids['mart.daily']!.snapshotId,
        kind: 'FULL',
        execution: 'single',
        intervals: [[t('2024-01-01'), t('2024-01-10')]],
      },
      {
        model: 'mart.latest',
        snapshotId: ids['mart.latest']!.snapshotId,
        kind: 'VIEW',
        execution: 'single',
        intervals: [[t('2024-01-01'), t('2024-01-10')]],
      },
    ]);
    expect(result.virtualUpdateOnly).toBe(false);
  });

  it('puts every model after the models it reads, whatever order the definitions come in', () => {
    const models = project();
    const result = diff([models[0]!, models[1]!, models[2]!, models[3]!]);
    expect(result.backfill.map((b) => b.model)).toEqual([
      'raw.events',
      'stage.events',
      'mart.daily',
      'mart.latest',
    ]);
  });

  it('an unchanged project is a virtual update with no new snapshot', () => {
    const models = project();
    const result = diff(models, mapOf(models));
    expect(result.unchanged).toEqual(models.map((m) => m.name));
    expect(result.newSnapshots).toEqual([]);
    expect(result.backfill).toEqual([]);
    expect(result.virtualUpdateOnly).toBe(true);
    expect(result.snapshotMap).toEqual(result.previousSnapshotMap);
  });

  it('a changed query is a direct change and gives every downstream model a new snapshot', () => {
    const before = project();
    const after = replace(before, 'stage.events', {
      query: 'SELECT * FROM raw.events WHERE ds BETWEEN @start_ds AND @end_ds AND kind = 1',
    });
    const result = diff(after, mapOf(before));
    expect(result.directlyModified).toEqual(['stage.events']);
    expect(result.indirectlyModified).toEqual(['mart.daily', 'mart.latest']);
    expect(result.unchanged).toEqual(['raw.events']);
    expect(result.newSnapshots.map((s) => s.model)).toEqual(['stage.events', 'mart.daily', 'mart.latest']);
    expect(result.backfill.map((b) => b.model)).toEqual(['stage.events', 'mart.daily', 'mart.latest']);
    expect(result.snapshotMap['raw.events']).toBe(result.previousSnapshotMap['raw.events']);
    expect(result.snapshotMap['mart.daily']).not.toBe(result.previousSnapshotMap['mart.daily']);
  });

  it('tells a downstream model changed by itself from one changed only through its upstream', () => {
    const before = project();
    let after = replace(before, 'stage.events', {
      query: 'SELECT * FROM raw.events WHERE ds >= @start_ds AND ds < @end_ds',
    });
    after = replace(after, 'mart.daily', {
      query: 'SELECT ds, count(*) AS events FROM stage.events GROUP BY ds',
    });
    const result = diff(after, mapOf(before));
    expect(result.directlyModified).toEqual(['stage.events', 'mart.daily']);
    expect(result.indirectlyModified).toEqual(['mart.latest']);
  });

  it('without the current definitions, a model with a changed upstream counts as indirectly modified', () => {
    const before = project();
    let after = replace(before, 'stage.events', {
      query: 'SELECT * FROM raw.events WHERE ds >= @start_ds AND ds < @end_ds',
    });
    after = replace(after, 'mart.daily', {
      query: 'SELECT ds, count(*) AS events FROM stage.events GROUP BY ds',
    });
    const result = diff(after, mapOf(before, false));
    expect(result.directlyModified).toEqual(['stage.events']);
    expect(result.indirectlyModified).toEqual(['mart.daily', 'mart.latest']);
  });

  it('a metadata change keeps the snapshot and changes no data', () => {
    const before = project();
    const after = replace(before, 'mart.daily', { owner: 'analytics', cron: '0 6 * * *' });
    const result = diff(after, mapOf(before));
    expect(result.metadataOnly).toEqual(['mart.daily']);
    expect(result.directlyModified).toEqual([]);
    expect(result.newSnapshots).toEqual([]);
    expect(result.virtualUpdateOnly).toBe(true);
  });

  describe('audits', () => {
    const audit = (query: string): Record<string, Audit> => ({
      few_rows: {
        name: 'few_rows',
        query,
        blocking: true,
        defaults: {},
        location: { file: 'audits/few_rows.sql', line: 1 },
      },
    });
    const QUERY = 'SELECT * FROM @this_model WHERE n < @floor';
    const before = replace(project(), 'mart.daily', {
      audits: [
        { name: 'few_rows', args: { floor: '1' } },
        { name: 'not_null', args: { columns: '(ds)' } },
      ],
    });
    const current = mapOf(before, true, audit(QUERY));
    const auditsOf = (models: Model[]) => models.find((m) => m.name === 'mart.daily')!.audits;

    /** Expects `after` (with `audits`) to be a metadata-only change of mart.daily. */
    function expectMetadataChange(after: Model[], audits: Record<string, Audit>) {
      const result = diff(after, current, { audits });
      expect(result.metadataOnly).toEqual(['mart.daily']);
      expect(result.directlyModified).toEqual([]);
      expect(result.indirectlyModified).toEqual([]);
      expect(result.newSnapshots).toEqual([]);
      expect(result.backfill).toEqual([]);
      expect(result.snapshotMap).toEqual(result.previousSnapshotMap);
    }

    it('an unchanged audit changes nothing, nor does reformatting its query', () => {
      for (const query of [
        QUERY,
        `-- rows under the floor\nselect *\n  from @THIS_MODEL /* all of it */\n  where N < @floor`,
      ]) {
        const result = diff(before, current, { audits: audit(query) });
        expect(result.metadataOnly, query).toEqual([]);
        expect(result.unchanged, query).toEqual(before.map((m) => m.name));
      }
    });

    it('an edited project audit query is a metadata change of the models that use it', () => {
      expectMetadataChange(before, audit(QUERY.replace('n < @floor', 'n <= @floor')));
    });

    it("a built-in or project audit's changed argument is a metadata change", () => {
      const builtin = replace(before, 'mart.daily', {
        audits: [
          { name: 'few_rows', args: { floor: '1' } },
          { name: 'not_null', args: { columns: '(ds, n)' } },
        ],
      });
      expectMetadataChange(builtin, audit(QUERY));
      const own = replace(before, 'mart.daily', {
        audits: [
          { name: 'few_rows', args: { floor: '2' } },
          { name: 'not_null', args: { columns: '(ds)' } },
        ],
      });
      expectMetadataChange(own, audit(QUERY));
    });

    it('an added or removed audit is a metadata change', () => {
      const removed = replace(before, 'mart.daily', { audits: auditsOf(before).slice(0, 1) });
      expectMetadataChange(removed, audit(QUERY));
      const added = replace(before, 'mart.daily', {
        audits: [...auditsOf(before), { name: 'unique_values', args: { columns: '(ds)' } }],
      });
      expectMetadataChange(added, audit(QUERY));
    });
  });

  it('a removed model leaves the snapshot map and changes no data', () => {
    const before = project();
    const after = before.filter((m) => m.name !== 'mart.latest');
    const result = diff(after, mapOf(before));
    expect(result.removed).toEqual(['mart.latest']);
    expect(result.snapshotMap).not.toHaveProperty('mart.latest');
    expect(result.previousSnapshotMap).toHaveProperty('mart.latest');
    expect(result.virtualUpdateOnly).toBe(true);
  });

  it('a new model downstream of unchanged ones is added and backfilled alone', () => {
    const before = project();
    const after = [
      ...before,
      model('mart.weekly', { query: 'SELECT 1 FROM mart.daily', dependsOn: ['mart.daily'] }),
    ];
    const result = diff(after, mapOf(before));
    expect(result.added).toEqual(['mart.weekly']);
    expect(result.unchanged).toHaveLength(4);
    expect(result.backfill.map((b) => b.model)).toEqual(['mart.weekly']);
  });

  it('backfills only what a shared snapshot has not completed yet', () => {
    const models = project();
    const ids = mapOf(models);
    const stage = ids['stage.events']!.snapshotId;
    const full = ids['mart.daily']!.snapshotId;
    const seed = ids['raw.events']!.snapshotId;
    const view = ids['mart.latest']!.snapshotId;
    const result = diff(
      models,
      {},
      {
        environment: 'dev',
        base: null,
        completed: {
          [seed]: [[t('2024-01-01'), t('2024-01-10')]],
          [stage]: [
            [t('2024-01-01'), t('2024-01-05')],
            [t('2024-01-06'), t('2024-01-08')],
          ],
          [full]: [[t('2024-01-01'), t('2024-01-10')]],
          [view]: [[t('2024-01-01'), t('2024-01-10')]],
        },
      },
    );
    expect(result.backfill).toEqual([
      {
        model: 'stage.events',
        snapshotId: stage,
        kind: 'INCREMENTAL_BY_TIME_RANGE',
        execution: 'batched',
        intervals: [
          [t('2024-01-05'), t('2024-01-06')],
          [t('2024-01-08'), t('2024-01-10')],
        ],
      },
    ]);
  });

  it('creates a new environment from another with nothing to backfill when the project matches it', () => {
    const models = project();
    const result = diff(models, mapOf(models), { environment: 'dev', base: 'prod' });
    expect(result.base).toBe('prod');
    expect(result.unchanged).toHaveLength(4);
    expect(result.virtualUpdateOnly).toBe(true);
  });

  it('waits for the cron: a daily model on 0 10 * * * has not processed yesterday before 10:00', () => {
    const models = [model('mart.late', { cron: '0 10 * * *' })];
    expect(diff(models, {}, { now: t('2024-01-10T09:59:00Z') }).backfill[0]!.intervals).toEqual([
      [t('2024-01-01'), t('2024-01-09')],
    ]);
    expect(diff(models, {}, { now: t('2024-01-10T10:00:00Z') }).backfill[0]!.intervals).toEqual([
      [t('2024-01-01'), t('2024-01-10')],
    ]);
  });

  it("stops at a model's end and has nothing to do before its start", () => {
    const ended = [model('a.ended', { kind: incremental(), end: '2024-01-03' })];
    expect(diff(ended).backfill[0]!.intervals).toEqual([[t('2024-01-01'), t('2024-01-03')]]);
    const future = [model('a.future', { kind: incremental(), start: '2024-02-01' })];
    expect(diff(future).backfill).toEqual([]);
    expect(diff(future).newSnapshots).toHaveLength(1);
  });

  it('builds a view or seed whose range has not started yet, once', () => {
    const models = [
      model('a.v', { kind: { name: 'VIEW', materialized: false }, start: '2024-02-01' }),
      model('a.s', { kind: { name: 'SEED', path: 's.csv' }, start: '2024-02-01' }),
    ];
    const first = diff(models);
    expect(first.backfill.map((b) => [b.model, b.execution, b.intervals])).toEqual([
      ['a.v', 'single', []],
      ['a.s', 'single', []],
    ]);
  });

  it('has nothing to execute for an embedded model', () => {
    const models = [model('a.e', { kind: { name: 'EMBEDDED' } })];
    const result = diff(models);
    expect(result.newSnapshots).toHaveLength(1);
    expect(result.backfill).toEqual([]);
  });

  it('narrows a development plan to its start and end', () => {
    const models = project();
    const result = diff(models, {}, { environment: 'dev', start: t('2024-01-05'), end: t('2024-01-08') });
    const stage = result.backfill.find((b) => b.model === 'stage.events')!;
    expect(stage.intervals).toEqual([[t('2024-01-05'), t('2024-01-08')]]);
    expect(result.backfill.find((b) => b.model === 'mart.daily')!.intervals).toEqual([
      [t('2024-01-05'), t('2024-01-08')],
    ]);
    expect(result.start).toBe(t('2024-01-05'));
    expect(result.end).toBe(t('2024-01-08'));
  });

  it('refuses to narrow a prod plan', () => {
    expect(() => diff(project(), {}, { start: t('2024-01-05') })).toThrow(
      /plan for prod covers every interval/,
    );
    expect(() => diff(project(), {}, { end: t('2024-01-05') })).toThrow(/development environment/);
    const fieldOf = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return error instanceof PlanRequestError ? error.field : 'not a PlanRequestError';
      }
      return 'nothing thrown';
    };
    expect(fieldOf(() => diff(project(), {}, { start: t('2024-01-05'), end: t('2024-01-06') }))).toBe(
      'start',
    );
    expect(fieldOf(() => diff(project(), {}, { end: t('2024-01-05') }))).toBe('end');
    expect(
      fieldOf(() =>
        diff(project(), {}, { environment: 'dev', start: t('2024-01-06'), end: t('2024-01-05') }),
      ),
    ).toBe('end');
  });

  it('refuses a range that ends before it starts, a bad environment name and a model without fingerprint', () => {
    expect(() =>
      diff(project(), {}, { environment: 'dev', start: t('2024-01-05'), end: t('2024-01-05') }),
    ).toThrow('plan end (2024-01-05 00:00:00) must be after its start (2024-01-05 00:00:00)');
    expect(() => diff(project(), {}, { environment: 'Dev' })).toThrow(/invalid environment name "Dev"/);
    expect(() =>
      diffProject({
        environment: 'prod',
        models: project(),
        fingerprints: {},
        current: {},
        completed: {},
        now: NOW,
      }),
    ).toThrow('model raw.events has no fingerprint');
    expect(() => diff(project(), {}, { now: Number.NaN })).toThrow(/execution time/);
  });

  it('survives a JSON round trip unchanged', () => {
    const before = project();
    const after = replace(before, 'stage.events', { kind: incremental(2, 1) });
    const result = diff(after, mapOf(before), { environment: 'dev', start: t('2024-01-03') });
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(result.backfill[0]!.intervals.every((i) => (i[1] - i[0]) / DAY <= 2)).toBe(true);
  });
});

/** A random project of up to ten models, each reading up to two earlier ones, and an edit of it. */
const edits = fc
  .record({
    size: fc.integer({ min: 1, max: 10 }),
    reads: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 2 })), {
      minLength: 12,
      maxLength: 12,
    }),
    // per model: 0 kept, 1 query edited, 2 removed
    edit: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 12, maxLength: 12 }),
    added: fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 3 }),
    withDefinitions: fc.boolean(),
    // models whose current snapshot has another fingerprint than its definition gives
    stale: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
  })
  .map(({ size, reads, edit, added, withDefinitions, stale }) => {
    const name = (i: number) => `db.m${i}`;
    const before: Model[] = [];
    for (let i = 0; i < size; i++) {
      const [a, b, count] = reads[i]!;
      const parents = i === 0 ? [] : [...new Set([name(a % i), name(b % i)].slice(0, count))];
      const query = parents.length === 0 ? 'SELECT 1 AS x' : `SELECT * FROM ${parents.join(' CROSS JOIN ')}`;
      before.push(model(name(i), { query, dependsOn: parents }));
    }
    const after: Model[] = [];
    before.forEach((m, i) => {
      if (edit[i] === 2) return;
      after.push(edit[i] === 1 ? { ...m, query: `${m.query} WHERE 1 = 1` } : m);
    });
    added.forEach(([parent, reads], k) => {
      const parents = reads ? [name(parent % size)] : [];
      const query = parents.length === 0 ? 'SELECT 2 AS y' : `SELECT * FROM ${parents[0]}`;
      after.push(model(`db.new${k}`, { query, dependsOn: parents }));
    });
    const staleNames = new Set(before.filter((_, i) => stale[i]).map((m) => m.name));
    const editedNames = new Set(before.filter((_, i) => edit[i] === 1).map((m) => m.name));
    const removedNames = new Set(before.filter((_, i) => edit[i] === 2).map((m) => m.name));
    return { before, after, withDefinitions, staleNames, editedNames, removedNames };
  });

describe('diffProject over random edits of a project', () => {
  it('splits the changed models into direct and indirect changes as their own edits and their upstream say', () => {
    fc.assert(
      fc.property(edits, ({ before, after, withDefinitions, staleNames, editedNames, removedNames }) => {
        const current = Object.fromEntries(
          Object.entries(mapOf(before, withDefinitions)).map(([name, snapshot]) => [
            name,
            staleNames.has(name) ? { ...snapshot, fingerprint: 'stale00000' } : snapshot,
          ]),
        );
        const result = diff(after, current);
        const direct = new Set(result.directlyModified);
        const indirect = new Set(result.indirectlyModified);
        const inProjectOrder = (names: Set<string>) => after.map((m) => m.name).filter((n) => names.has(n));

        // every model the environment holds with another fingerprint, once, in project order
        const fingerprints = fingerprintProject(after, {});
        const changed = after.filter(
          (m) => current[m.name] && current[m.name]!.fingerprint !== fingerprints[m.name]!.fingerprint,
        );
        expect([...direct].filter((n) => indirect.has(n))).toEqual([]);
        expect([...direct, ...indirect].sort()).toEqual(changed.map((m) => m.name).sort());
        expect(result.directlyModified).toEqual(inProjectOrder(direct));
        expect(result.indirectlyModified).toEqual(inProjectOrder(indirect));

        const dag = new Dag(Object.fromEntries(after.map((m) => [m.name, m.dependsOn])));
        const byName = new Map(after.map((m) => [m.name, m]));
        const changedNames = new Set(changed.map((m) => m.name));
        const readsRemoved = (name: string) => byName.get(name)!.dependsOn.some((d) => removedNames.has(d));
        for (const m of changed) {
          const ownChange = editedNames.has(m.name) || staleNames.has(m.name);
          // above it (or in what it reads itself) a model is new, changed, or reads a removed one
          const aboveChanged =
            readsRemoved(m.name) ||
            dag.upstreamOf([m.name]).some((n) => !current[n] || changedNames.has(n) || readsRemoved(n));
          // nothing above it changed: the change is its own
          if (!aboveChanged) expect(direct.has(m.name)).toBe(true);
          // something above changed and no definitions are kept to tell its own change from theirs
          if (aboveChanged && !withDefinitions) expect(indirect.has(m.name)).toBe(true);
          // its own definition changed, and the definitions it was built from are kept to tell
          if (withDefinitions && ownChange) expect(direct.has(m.name)).toBe(true);
          // kept as it was: only what it reads changed
          if (!ownChange) expect(indirect.has(m.name)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
