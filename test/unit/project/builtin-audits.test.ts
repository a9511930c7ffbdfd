import { describe, expect, it } from 'vitest';
import { auditQuery } from '../../../core/project/audit-query.ts';
import {
  BUILTIN_AUDITS,
  checkBuiltinArguments,
  findBuiltinAudit,
  isUnsupportedBuiltinAudit,
  listItems,
} from '../../../core/project/builtin-audits.ts';
import type { Audit } from '../../../core/project/types.ts';

const render = (name: string, args: Record<string, string>) => auditQuery({}, { name, args });

describe('built-in audits', () => {
  it('renders not_null over every column, with an optional condition', () => {
    expect(render('not_null', { columns: '(id, "Total")' })).toEqual({
      name: 'not_null',
      blocking: true,
      query: 'SELECT *\nFROM @this_model\nWHERE (id IS NULL OR "Total" IS NULL)',
    });
    expect(render('not_null', { columns: 'id', condition: 'ds > 1' }).query).toBe(
      'SELECT *\nFROM @this_model\nWHERE (id IS NULL) AND (ds > 1)',
    );
  });

  it('renders unique_values with one rank per column', () => {
    expect(render('unique_values', { columns: '[a, b]' }).query).toBe(
      'SELECT *\nFROM (\n  SELECT ROW_NUMBER() OVER (PARTITION BY a ORDER BY a) AS rank_1, ROW_NUMBER() OVER (PARTITION BY b ORDER BY b) AS rank_2\n  FROM @this_model\n) AS audit_rows\nWHERE rank_1 > 1 OR rank_2 > 1',
    );
    expect(render('unique_values', { columns: '(a)', condition: 'a > 0' }).query).toBe(
      'SELECT *\nFROM (\n  SELECT ROW_NUMBER() OVER (PARTITION BY a ORDER BY a) AS rank_1\n  FROM @this_model\n  WHERE (a > 0)\n) AS audit_rows\nWHERE rank_1 > 1',
    );
  });

  it('renders accepted_values and not_accepted_values', () => {
    expect(render('accepted_values', { column: 'status', is_in: "('open', 'closed')" }).query).toBe(
      "SELECT *\nFROM @this_model\nWHERE status NOT IN ('open', 'closed')",
    );
    expect(render('not_accepted_values', { column: 'n', is_in: '[1, 2]' }).query).toBe(
      'SELECT *\nFROM @this_model\nWHERE n IN (1, 2)',
    );
  });

  it('renders number_of_rows', () => {
    expect(render('number_of_rows', { threshold: '10' }).query).toBe(
      'SELECT COUNT(*)\nFROM (\n  SELECT 1\n  FROM @this_model\n  LIMIT 10 + 1\n) AS audit_rows\nHAVING COUNT(*) <= 10',
    );
  });

  it('renders forall, accepted_range, at_least_one, not_constant, not_empty_string, unique_combination_of_columns', () => {
    expect(render('forall', { criteria: '(a > 0, b IN (1, 2))' }).query).toBe(
      'SELECT *\nFROM @this_model\nWHERE (NOT (a > 0) OR NOT (b IN (1, 2)))',
    );
    expect(render('accepted_range', { column: 'age', min_v: '0', max_v: '120' }).query).toBe(
      'SELECT *\nFROM @this_model\nWHERE (age < 0 OR age > 120)',
    );
    expect(render('accepted_range', { column: 'age', max_v: '120', inclusive: 'false' }).query).toBe(
      'SELECT *\nFROM @this_model\nWHERE (age >= 120)',
    );
    expect(render('at_least_one', { column: 'email' }).query).toBe(
      'SELECT 1\nFROM @this_model\nGROUP BY 1\nHAVING COUNT(email) = 0',
    );
    expect(render('not_constant', { column: 'kind' }).query).toBe(
      'SELECT 1\nFROM (\n  SELECT COUNT(DISTINCT kind) AS t_cardinality\n  FROM @this_model\n) AS r\nWHERE r.t_cardinality <= 1',
    );
    expect(render('not_empty_string', { column: 'name' }).query).toBe(
      "SELECT *\nFROM @this_model\nWHERE name = ''",
    );
    expect(render('unique_combination_of_columns', { columns: '(a, b)' }).query).toBe(
      'SELECT a, b\nFROM @this_model\nGROUP BY a, b\nHAVING COUNT(*) > 1',
    );
  });

  it('has a non-blocking variant of every built-in', () => {
    for (const name of Object.keys(BUILTIN_AUDITS)) {
      expect(findBuiltinAudit(`${name}_non_blocking`)?.blocking, name).toBe(false);
      expect(findBuiltinAudit(name)?.blocking, name).toBe(true);
    }
    expect(render('not_null_non_blocking', { columns: 'id' }).blocking).toBe(false);
  });

  it('knows which SQLMesh built-ins it does not run', () => {
    expect(isUnsupportedBuiltinAudit('z_score')).toBe(true);
    expect(isUnsupportedBuiltinAudit('valid_email_non_blocking')).toBe(true);
    expect(isUnsupportedBuiltinAudit('not_null')).toBe(false);
    expect(isUnsupportedBuiltinAudit('my_audit')).toBe(false);
  });

  it('checks arguments', () => {
    const check = (name: string, args: Record<string, string>) =>
      checkBuiltinArguments(BUILTIN_AUDITS[name]!, args);
    expect(check('not_null', { columns: '(a)' })).toBeUndefined();
    expect(check('not_null', {})).toBe('audit not_null needs columns :=');
    expect(check('not_null', { columns: '()' })).toBe('audit not_null: columns is empty');
    expect(check('not_null', { column: 'a' })).toBe(
      "audit not_null has no argument 'column' (expected columns, condition)",
    );
    expect(check('accepted_values', { column: 'a' })).toBe('audit accepted_values needs is_in :=');
    expect(check('number_of_rows', { threshold: 'ten' })).toBe(
      'audit number_of_rows: threshold must be a non-negative integer',
    );
    expect(check('accepted_range', { column: 'a' })).toBe('audit accepted_range needs min_v := or max_v :=');
    expect(check('accepted_range', { column: 'a', min_v: '1', inclusive: 'maybe' })).toBe(
      'audit accepted_range: inclusive must be true or false',
    );
  });
});

describe('listItems', () => {
  it('splits a bracketed list at its top-level commas', () => {
    expect(listItems('(a, f(b, c), [d, e])')).toEqual(['a', 'f(b, c)', '[d, e]']);
    expect(listItems("['x,y', 'z']")).toEqual(["'x,y'", "'z'"]);
    expect(listItems('single')).toEqual(['single']);
    expect(listItems('(a) + (b)')).toEqual(['(a) + (b)']);
  });
});

describe('auditQuery for project audits', () => {
  const audits: Record<string, Audit> = {
    positive_values: {
      name: 'positive_values',
      query: "SELECT * FROM @this_model WHERE @column < @threshold AND note <> '@column' AND ds >= @start_ds",
      blocking: false,
      defaults: { threshold: '0' },
      location: { file: 'audits/values.sql', line: 2 },
    },
    not_null: {
      name: 'not_null',
      query: 'SELECT * FROM @this_model WHERE @col IS NULL',
      blocking: true,
      defaults: {},
      location: { file: 'audits/own.sql', line: 1 },
    },
  };

  it('replaces parameters with arguments, then defaults, leaving strings and sluice macros alone', () => {
    expect(auditQuery(audits, { name: 'positive_values', args: { column: 'total' } })).toEqual({
      name: 'positive_values',
      blocking: false,
      query: "SELECT * FROM @this_model WHERE total < 0 AND note <> '@column' AND ds >= @start_ds",
    });
    expect(
      auditQuery(audits, { name: 'positive_values', args: { column: 'x', threshold: '-1' } }).query,
    ).toBe("SELECT * FROM @this_model WHERE x < -1 AND note <> '@column' AND ds >= @start_ds");
  });

  it('prefers a project audit over a built-in of the same name', () => {
    expect(auditQuery(audits, { name: 'not_null', args: { col: 'id' } }).query).toBe(
      'SELECT * FROM @this_model WHERE id IS NULL',
    );
  });

  it('throws for an audit that does not exist', () => {
    expect(() => auditQuery(audits, { name: 'missing', args: {} })).toThrow("unknown audit 'missing'");
  });
});
