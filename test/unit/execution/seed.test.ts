import { describe, expect, it } from 'vitest';
import { inferType, SeedError, seedLoad } from '../../../core/execution/seed.ts';
import { testModel } from './model.ts';

const physical = { schema: 'sluice__shop', table: 'shop__items__abc' };

function seedModel(content: string, extra: Parameters<typeof testModel>[3] = {}) {
  return testModel('shop.items', { name: 'SEED', path: '../seeds/items.csv' }, '', {
    seed: { path: 'seeds/items.csv', content },
    ...extra,
  });
}

describe('inferType (as SQLMesh infers through pandas)', () => {
  // Expected types were produced with SQLMesh 0.236.4's columns_to_types_from_df on pandas.read_csv.
  it.each([
    [['1', '2'], 'BIGINT'],
    [['+5', '-3', ' 4'], 'BIGINT'],
    [['1.5', null], 'DOUBLE PRECISION'],
    [['1', null], 'DOUBLE PRECISION'],
    [[null, null], 'DOUBLE PRECISION'],
    [['1e3', '2', 'inf', '-Inf'], 'DOUBLE PRECISION'],
    [['true', 'False'], 'BOOLEAN'],
    [['True', 'TRUE', 'false'], 'BOOLEAN'],
    [['true', null], 'TEXT'],
    [['x', '1'], 'TEXT'],
    [['2020-01-01'], 'TEXT'],
    [['99999999999999999999'], 'TEXT'],
    [['99999999999999999999', null], 'TEXT'],
    [['yes', 'no'], 'TEXT'],
  ] as const)('%j -> %s', (values, type) => {
    expect(inferType(values)).toBe(type);
  });
});

describe('seedLoad', () => {
  it('creates the table with inferred types and loads escaped literals cast to them', () => {
    const load = seedLoad(seedModel("ID,name,price,active\n1,O'Brien,1.5,true\n2,,2,false\n"), physical);
    expect(load.columns.map((c) => [c.name, c.type])).toEqual([
      ['id', 'BIGINT'],
      ['name', 'TEXT'],
      ['price', 'DOUBLE PRECISION'],
      ['active', 'BOOLEAN'],
    ]);
    expect(load.create).toBe(
      'CREATE TABLE IF NOT EXISTS "sluice__shop"."shop__items__abc" ("id" BIGINT, "name" TEXT, "price" DOUBLE PRECISION, "active" BOOLEAN)',
    );
    expect(load.inserts).toEqual([
      [
        'INSERT INTO "sluice__shop"."shop__items__abc" ("id", "name", "price", "active")',
        'SELECT CAST(v1 AS BIGINT), CAST(v2 AS TEXT), CAST(v3 AS DOUBLE PRECISION), CAST(v4 AS BOOLEAN)',
        'FROM (VALUES',
        "('1', 'O''Brien', '1.5', 'true'),",
        "('2', NULL, '2', 'false')",
        ') AS sluice_seed (v1, v2, v3, v4)',
      ].join('\n'),
    ]);
    expect(load.rows).toBe(2);
  });

  it('uses the declared columns, in declared order, whatever the CSV order', () => {
    const model = seedModel('b,a\nx,2020-01-01\n', {
      columns: [
        { name: 'a', type: 'DATE' },
        { name: 'b', type: 'VARCHAR(3)' },
      ],
    });
    const load = seedLoad(model, physical);
    expect(load.create).toBe(
      'CREATE TABLE IF NOT EXISTS "sluice__shop"."shop__items__abc" ("a" DATE, "b" VARCHAR(3))',
    );
    expect(load.inserts[0]).toContain("('2020-01-01', 'x')");
    expect(load.inserts[0]).toContain('SELECT CAST(v1 AS DATE), CAST(v2 AS VARCHAR(3))');
  });

  it('splits the rows into INSERTs of batch_size rows', () => {
    const rows = Array.from({ length: 7 }, (_, i) => `${i}`).join('\n');
    const model = testModel('shop.items', { name: 'SEED', path: 'x.csv', batchSize: 3 }, '', {
      seed: { path: 'seeds/x.csv', content: `n\n${rows}\n` },
    });
    const load = seedLoad(model, physical);
    expect(load.inserts).toHaveLength(3);
    expect(load.inserts.map((sql) => sql.match(/\('\d+'\)/g)?.length)).toEqual([3, 3, 1]);
  });

  it('keeps backslashes and unicode as written', () => {
    const load = seedLoad(seedModel('p\nC:\\temp\\x\nzürich ✓\n'), physical);
    expect(load.inserts[0]).toContain("('C:\\temp\\x'),\n('zürich ✓')");
  });

  it('has no INSERT for a CSV with only a header', () => {
    const load = seedLoad(seedModel('a,b\n'), physical);
    expect(load.inserts).toEqual([]);
    expect(load.columns.map((c) => c.type)).toEqual(['DOUBLE PRECISION', 'DOUBLE PRECISION']);
  });

  it('names the model, the file and the line for bad CSV', () => {
    expect(() => seedLoad(seedModel('a,b\n1,2\n1,2,3\n'), physical)).toThrow(SeedError);
    expect(() => seedLoad(seedModel('a,b\n1,2\n1,2,3\n'), physical)).toThrow(
      'model "shop.items": seed seeds/items.csv:3: row has 3 fields but the header has 2 columns',
    );
    expect(() => seedLoad(seedModel('a,A\n1,2\n'), physical)).toThrow(
      'model "shop.items": seed seeds/items.csv:1: column "a" appears twice in the header',
    );
    expect(() => seedLoad(seedModel('a,\n1,2\n'), physical)).toThrow('column 2 of the header has no name');
  });

  it('rejects declared columns missing from the CSV and CSV columns not declared', () => {
    const declared = { columns: [{ name: 'a', type: 'INT' }] };
    expect(() => seedLoad(seedModel('b\n1\n', declared), physical)).toThrow(
      'model "shop.items": seed seeds/items.csv:1: declared column(s) a are not in the CSV header (b)',
    );
    expect(() => seedLoad(seedModel('a,b\n1,2\n', declared), physical)).toThrow(
      "CSV column(s) b are not among the model's declared columns (a)",
    );
  });

  it('fails when the seed content was not loaded', () => {
    const model = testModel('shop.items', { name: 'SEED', path: 'x.csv' }, '');
    expect(() => seedLoad(model, physical)).toThrow(
      'model "shop.items": seed x.csv: the seed file content was not loaded',
    );
  });
});
