import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fingerprintProject, normalizeSql } from '../../core/fingerprint.ts';
import { loadProject } from '../../core/project/load.ts';
import { significant, tokenize } from '../../core/sql/tokenize.ts';
import { useTempProjects } from './project/temp-project.ts';

const writeProject = useTempProjects();
const NOW = Date.parse('2025-06-15T10:00:00Z');

const SEED = `MODEL (
  name s.seed,
  kind SEED (path '../seeds/seed.csv'),
  columns (id INTEGER, amount DECIMAL(10, 2))
);
`;
const ORDERS = `MODEL (
  name s.orders,
  kind INCREMENTAL_BY_TIME_RANGE (time_column ds),
  cron '@daily',
  grain id
);

SELECT id, amount, ds -- the amount as paid
FROM s.seed
WHERE ds BETWEEN @start_ds AND @end_ds
`;
const REPORT = `MODEL (name s.report, kind FULL, owner 'ana');
SELECT COUNT(*) AS n, 'Mixed Case' AS label FROM s.orders
`;
const CSV = 'id,amount\n1,2.50\n';

function fingerprints(overrides: Record<string, string> = {}) {
  const dir = writeProject({
    'seeds/seed.csv': CSV,
    'models/seed.sql': SEED,
    'models/orders.sql': ORDERS,
    'models/report.sql': REPORT,
    ...overrides,
  });
  const project = loadProject(dir, { now: NOW });
  return fingerprintProject(project.models, project.audits);
}

describe('fingerprintProject', () => {
  const base = fingerprints();

  it('gives every model 10 lowercase hex characters for its fingerprint and metadata hash', () => {
    expect(Object.keys(base).sort()).toEqual(['s.orders', 's.report', 's.seed']);
    for (const { fingerprint, metadataHash } of Object.values(base)) {
      expect(fingerprint).toMatch(/^[0-9a-f]{10}$/);
      expect(metadataHash).toMatch(/^[0-9a-f]{10}$/);
    }
    expect(fingerprints()).toEqual(base);
  });

  // Fingerprints name stored snapshots and their tables: the same project must keep them forever.
  it('keeps the fingerprints it always gave', () => {
    expect(base).toEqual({
      's.seed': { fingerprint: '90bdd97b5c', metadataHash: '5667114fae' },
      's.orders': { fingerprint: '68b2319416', metadataHash: '1eb33be5e8' },
      's.report': { fingerprint: '0d730695c5', metadataHash: '1d105acc81' },
    });
  });

  it('ignores formatting: whitespace, comments, keyword case and a trailing comma in the header', () => {
    const reformatted = fingerprints({
      'models/orders.sql': `-- orders, reformatted
model (
  NAME s.orders,   /* same name */
  kind incremental_by_time_range (TIME_COLUMN DS,),
  cron '@daily',
  grain ID,
);
select   ID, Amount,
  ds
from S.SEED   where ds between @START_DS and @end_ds;
`,
    });
    expect(reformatted).toEqual(base);
  });

  it('changes with the query, and the change reaches downstream models', () => {
    const changed = fingerprints({
      'models/orders.sql': ORDERS.replace('SELECT id, amount, ds', 'SELECT id, amount * 2 AS amount, ds'),
    });
    expect(changed['s.seed']).toEqual(base['s.seed']);
    expect(changed['s.orders']!.fingerprint).not.toBe(base['s.orders']!.fingerprint);
    expect(changed['s.orders']!.metadataHash).toBe(base['s.orders']!.metadataHash);
    expect(changed['s.report']!.fingerprint).not.toBe(base['s.report']!.fingerprint);
    expect(changed['s.report']!.metadataHash).toBe(base['s.report']!.metadataHash);
  });

  it('changes only the metadata hash when the cron changes', () => {
    const changed = fingerprints({
      'models/orders.sql': ORDERS.replace("cron '@daily'", "cron '0 4 * * *'"),
    });
    expect(changed['s.orders']!.fingerprint).toBe(base['s.orders']!.fingerprint);
    expect(changed['s.orders']!.metadataHash).not.toBe(base['s.orders']!.metadataHash);
    expect(changed['s.report']).toEqual(base['s.report']);
  });

  it('keeps string literals and quoted identifiers exactly', () => {
    const changed = fingerprints({ 'models/report.sql': REPORT.replace("'Mixed Case'", "'mixed case'") });
    expect(changed['s.report']!.fingerprint).not.toBe(base['s.report']!.fingerprint);
  });

  it('changes with seed content, column types, kind parameters and gateway', () => {
    const seedChanged = fingerprints({ 'seeds/seed.csv': 'id,amount\n1,2.75\n' });
    expect(seedChanged['s.seed']!.fingerprint).not.toBe(base['s.seed']!.fingerprint);
    expect(seedChanged['s.report']!.fingerprint).not.toBe(base['s.report']!.fingerprint);

    const typeChanged = fingerprints({ 'models/seed.sql': SEED.replace('DECIMAL(10, 2)', 'DECIMAL(12, 2)') });
    expect(typeChanged['s.seed']!.fingerprint).not.toBe(base['s.seed']!.fingerprint);

    const batched = fingerprints({
      'models/orders.sql': ORDERS.replace('time_column ds', 'time_column ds, batch_size 3'),
    });
    expect(batched['s.orders']!.fingerprint).not.toBe(base['s.orders']!.fingerprint);
  });

  it('puts owner, grains, tags, audits, enabled and start in the metadata hash only', () => {
    const variants = [
      REPORT.replace("owner 'ana'", "owner 'bo'"),
      REPORT.replace("owner 'ana'", "owner 'ana', tags (finance)"),
      REPORT.replace("owner 'ana'", "owner 'ana', grain n"),
      REPORT.replace("owner 'ana'", "owner 'ana', audits (not_null(columns := (n)))"),
      REPORT.replace("owner 'ana'", "owner 'ana', enabled false"),
      REPORT.replace("owner 'ana'", "owner 'ana', start '2023-01-01'"),
      REPORT.replace("owner 'ana'", "owner 'ana', description 'counts'"),
    ];
    for (const report of variants) {
      const changed = fingerprints({ 'models/report.sql': report });
      expect(changed['s.report']!.fingerprint, report).toBe(base['s.report']!.fingerprint);
      expect(changed['s.report']!.metadataHash, report).not.toBe(base['s.report']!.metadataHash);
    }
  });

  describe('audits', () => {
    const AUDIT = `AUDIT (name small_counts, defaults (floor = 0));
SELECT * FROM @this_model WHERE n < @floor
`;
    const audited = (
      audit: string,
      report = "owner 'ana', audits (small_counts, unique_values(columns := (n)))",
    ) =>
      fingerprints({
        'audits/small_counts.sql': audit,
        'models/report.sql': REPORT.replace("owner 'ana'", report),
      });
    const withAudits = audited(AUDIT);

    it("changes the metadata hash, not the data, when a project audit's query changes", () => {
      const changed = audited(AUDIT.replace('n < @floor', 'n <= @floor'));
      expect(changed['s.report']!.fingerprint).toBe(withAudits['s.report']!.fingerprint);
      expect(changed['s.report']!.metadataHash).not.toBe(withAudits['s.report']!.metadataHash);
      expect(changed['s.orders']).toEqual(withAudits['s.orders']);
    });

    it("ignores the formatting of a project audit's query", () => {
      const reformatted = audited(`-- counts below the floor
AUDIT (name small_counts, defaults (floor = 0));
select *
  from @THIS_MODEL   /* the whole table */
  where N < @floor;
`);
      expect(reformatted).toEqual(withAudits);
    });

    it("changes the metadata hash with a project audit's blocking, defaults and arguments", () => {
      const variants = [
        audited(AUDIT.replace('defaults (floor = 0)', 'blocking false, defaults (floor = 0)')),
        audited(AUDIT.replace('defaults (floor = 0)', 'defaults (floor = 1)')),
        audited(AUDIT, "owner 'ana', audits (small_counts(floor := 5), unique_values(columns := (n)))"),
      ];
      for (const changed of variants) {
        expect(changed['s.report']!.fingerprint).toBe(withAudits['s.report']!.fingerprint);
        expect(changed['s.report']!.metadataHash).not.toBe(withAudits['s.report']!.metadataHash);
      }
    });

    it("changes the metadata hash with a built-in audit's arguments", () => {
      const changed = audited(
        AUDIT,
        "owner 'ana', audits (small_counts, unique_values(columns := (n, label)))",
      );
      expect(changed['s.report']!.fingerprint).toBe(withAudits['s.report']!.fingerprint);
      expect(changed['s.report']!.metadataHash).not.toBe(withAudits['s.report']!.metadataHash);
      const reformatted = audited(
        AUDIT,
        "owner 'ana', audits (small_counts, UNIQUE_VALUES(columns := ( N )))",
      );
      expect(reformatted).toEqual(withAudits);
    });

    it('changes the metadata hash when an audit is added or removed', () => {
      const removed = audited(AUDIT, "owner 'ana', audits (unique_values(columns := (n)))");
      const added = audited(
        AUDIT,
        "owner 'ana', audits (small_counts, unique_values(columns := (n)), not_null(columns := (n)))",
      );
      for (const changed of [removed, added]) {
        expect(changed['s.report']!.fingerprint).toBe(withAudits['s.report']!.fingerprint);
        expect(changed['s.report']!.metadataHash).not.toBe(withAudits['s.report']!.metadataHash);
      }
    });

    it('leaves models alone that do not reference the edited audit', () => {
      const unused = fingerprints({ 'audits/small_counts.sql': AUDIT });
      expect(unused).toEqual(base);
      const edited = fingerprints({ 'audits/small_counts.sql': AUDIT.replace('n < @floor', 'n <= @floor') });
      expect(edited).toEqual(base);
    });
  });

  it('ignores parents that are not among the given models', () => {
    const dir = writeProject({ 'seeds/seed.csv': CSV, 'models/seed.sql': SEED, 'models/orders.sql': ORDERS });
    const models = loadProject(dir, { now: NOW }).models;
    const alone = fingerprintProject(
      models.filter((m) => m.name === 's.orders'),
      {},
    );
    expect(alone['s.orders']!.fingerprint).not.toBe(fingerprintProject(models, {})['s.orders']!.fingerprint);
  });
});

describe('normalizeSql', () => {
  it('drops comments and whitespace, lower-cases words and macros, keeps strings and quoted names', () => {
    expect(normalizeSql(`SELECT "Col" , 'It''s'  -- note\n FROM  s.T /* x */ WHERE d >= @START_DS`)).toBe(
      `select "Col" , 'It''s' from s . t where d >= @start_ds`,
    );
  });
});

describe('normalizeSql under any formatting', () => {
  const QUERY = `WITH t AS (SELECT a.id, SUM(a.amount::DECIMAL(10, 2)) AS total FROM s.orders AS a WHERE a.ds >= @start_ds GROUP BY 1)
SELECT "Mixed Name", 'Keep  This''s Case' AS label, COALESCE(total, 0) >= 1.5 AS big FROM t JOIN s.x ON t.id = s.x.id`;
  const tokens = significant(tokenize(QUERY));

  it('is the same for every spacing, comment placement and unquoted-word case', () => {
    const separator = fc.constantFrom('', ' ', '\n', '\t  ', ' /* note */ ', ' -- note\n');
    fc.assert(
      fc.property(
        fc.array(separator, { minLength: tokens.length, maxLength: tokens.length }),
        fc.array(fc.boolean(), { minLength: tokens.length, maxLength: tokens.length }),
        (separators, upper) => {
          const text = tokens
            .map((t, i) => {
              const word =
                t.type === 'word' ? (upper[i] ? t.text.toUpperCase() : t.text.toLowerCase()) : t.text;
              // Punctuation may touch its neighbours; two words need something between them.
              const touching = tokens[i - 1]?.type === 'punct' || t.type === 'punct';
              const gap = separators[i] === '' && !touching ? ' ' : separators[i]!;
              return (i > 0 ? gap : '') + word;
            })
            .join('');
          expect(normalizeSql(text)).toBe(normalizeSql(QUERY));
        },
      ),
      { numRuns: 200 },
    );
  });
});
