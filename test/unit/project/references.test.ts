import { describe, expect, it } from 'vitest';
import { findTableReferences } from '../../../core/project/references.ts';
import { significant, tokenize } from '../../../core/sql/tokenize.ts';

const refs = (sql: string) => findTableReferences(significant(tokenize(sql)));
const names = (sql: string) => refs(sql).map((r) => r.name);

describe('findTableReferences', () => {
  it('finds tables after FROM and JOIN, with their lines', () => {
    expect(refs('SELECT *\nFROM s.a AS x\nLEFT JOIN s.b ON x.id = s.b.id\nCROSS JOIN s.c')).toEqual([
      { name: 's.a', line: 2, index: 3 },
      { name: 's.b', line: 3, index: 10 },
      { name: 's.c', line: 4, index: 25 },
    ]);
  });

  it('finds every table of a comma-separated FROM list, after aliases and subqueries', () => {
    expect(names('SELECT 1 FROM s.a x, s.b AS y, (SELECT 1 FROM s.c) AS z, s.d WHERE x.k = y.k')).toEqual([
      's.a',
      's.b',
      's.c',
      's.d',
    ]);
  });

  it('normalises names: unquoted parts lower-cased, quoted parts kept', () => {
    expect(names('SELECT * FROM "Sales"."Orders" JOIN SALES.items ON TRUE JOIN "s"."x" ON TRUE')).toEqual([
      'Sales.Orders',
      'sales.items',
      's.x',
    ]);
  });

  it('does not take column references for tables', () => {
    expect(names('SELECT s.a, x.y FROM t WHERE s.b = 1 GROUP BY s.c ORDER BY s.d')).toEqual([]);
    expect(names('SELECT * FROM s.t AS x JOIN s.u AS y ON x.id = y.id AND s.v = 1')).toEqual(['s.t', 's.u']);
  });

  it('ignores strings, comments and quoted text', () => {
    expect(names("SELECT 'FROM s.a' AS x -- FROM s.b\n/* JOIN s.c */ FROM s.d")).toEqual(['s.d']);
  });

  it('ignores CTE names and one-part names, and finds tables inside CTEs', () => {
    expect(
      names(
        'WITH orders AS (SELECT * FROM s.orders), x AS (SELECT 1) SELECT * FROM orders, x JOIN y ON TRUE',
      ),
    ).toEqual(['s.orders']);
  });

  it('skips three-part names and schema-qualified functions', () => {
    expect(names('SELECT * FROM db.s.t, pg_catalog.generate_series(1, 3) AS g, s.real')).toEqual(['s.real']);
  });

  it('finds tables in subqueries of WHERE, EXISTS and IN', () => {
    expect(
      names(
        'SELECT * FROM s.a WHERE id IN (SELECT id FROM s.b) AND EXISTS (SELECT 1 FROM s.c WHERE s.c.k = 1)',
      ),
    ).toEqual(['s.a', 's.b', 's.c']);
  });

  it('does not read FROM inside function calls or IS DISTINCT FROM as a table list', () => {
    expect(
      names(
        'SELECT EXTRACT(year FROM x.created_at), SUBSTRING(x.name FROM 2) FROM s.a AS x WHERE x.a IS DISTINCT FROM x.b',
      ),
    ).toEqual(['s.a']);
  });

  it('reads DuckDB FROM-first queries and parenthesised joins', () => {
    expect(names('FROM s.a SELECT 1')).toEqual(['s.a']);
    expect(names('SELECT * FROM (s.a JOIN s.b USING (id))')).toEqual(['s.a', 's.b']);
    expect(names('SELECT * FROM (FROM s.c)')).toEqual(['s.c']);
  });

  it('finds tables after TABLE, ONLY and PIVOT', () => {
    expect(names('TABLE s.a')).toEqual(['s.a']);
    expect(names('SELECT * FROM ONLY s.b')).toEqual(['s.b']);
    expect(names('PIVOT s.c ON year USING SUM(x)')).toEqual(['s.c']);
  });

  it('finds tables on both sides of set operations', () => {
    expect(names('SELECT 1 FROM s.a UNION ALL SELECT 2 FROM s.b EXCEPT SELECT 3 FROM s.c')).toEqual([
      's.a',
      's.b',
      's.c',
    ]);
  });
});
