import { describe, expect, it } from 'vitest';
import {
  findMacroIssues,
  findUnsupportedMacros,
  isSupportedMacroVariable,
  MACRO_PREFIXES,
  MACRO_SUFFIXES,
  type MacroContext,
  MacroError,
  renderMacros,
} from '../../core/macros.ts';

/**
 * Expected values rendered by SQLMesh 0.236.4 (`Context.render` of an INCREMENTAL_BY_TIME_RANGE model
 * selecting every variable) for the same start, end and execution time, in the duckdb and postgres
 * dialects. SQLMesh's end is inclusive: the exclusive interval end here minus one microsecond.
 * `spliced` holds what SQLMesh made of `@{...}` inside identifiers.
 */
const SQLMESH_RENDERED: Array<{
  label: string;
  start: string;
  end: string;
  execution: string;
  values: Record<string, string>;
  spliced: Record<string, { duckdb: string; postgres: string }>;
}> = [
  {
    label: 'one day',
    start: '2020-01-01T00:00:00Z',
    end: '2020-01-02T00:00:00Z',
    execution: '2020-01-02T10:11:12Z',
    values: {
      start_ds: "'2020-01-01'",
      start_date: "CAST('2020-01-01' AS DATE)",
      start_ts: "'2020-01-01 00:00:00'",
      start_tstz: "'2020-01-01 00:00:00+00:00'",
      start_dt: "CAST('2020-01-01 00:00:00+00:00' AS TIMESTAMPTZ)",
      start_dtntz: "CAST('2020-01-01 00:00:00' AS TIMESTAMP)",
      start_epoch: '1577836800.0',
      start_millis: '1577836800000',
      start_hour: '0',
      end_ds: "'2020-01-01'",
      end_date: "CAST('2020-01-01' AS DATE)",
      end_ts: "'2020-01-01 23:59:59.999999'",
      end_tstz: "'2020-01-01 23:59:59.999999+00:00'",
      end_dt: "CAST('2020-01-01 23:59:59.999999+00:00' AS TIMESTAMPTZ)",
      end_dtntz: "CAST('2020-01-01 23:59:59.999999' AS TIMESTAMP)",
      end_epoch: '1577923199.999',
      end_millis: '1577923199999',
      end_hour: '23',
      execution_ds: "'2020-01-02'",
      execution_date: "CAST('2020-01-02' AS DATE)",
      execution_ts: "'2020-01-02 10:11:12'",
      execution_tstz: "'2020-01-02 10:11:12+00:00'",
      execution_dt: "CAST('2020-01-02 10:11:12+00:00' AS TIMESTAMPTZ)",
      execution_dtntz: "CAST('2020-01-02 10:11:12' AS TIMESTAMP)",
      execution_epoch: '1577959872.0',
      execution_millis: '1577959872000',
      execution_hour: '10',
      latest_ds: "'2020-01-02'",
      latest_date: "CAST('2020-01-02' AS DATE)",
      latest_ts: "'2020-01-02 10:11:12'",
      latest_tstz: "'2020-01-02 10:11:12+00:00'",
      latest_dt: "CAST('2020-01-02 10:11:12+00:00' AS TIMESTAMPTZ)",
      latest_dtntz: "CAST('2020-01-02 10:11:12' AS TIMESTAMP)",
      latest_epoch: '1577959872.0',
      latest_millis: '1577959872000',
      latest_hour: '10',
    },
    spliced: {
      'x_@{start_ds}': { duckdb: '"x_2020-01-01"', postgres: '"x_2020-01-01"' },
      '@{end_hour}': { duckdb: '"23"', postgres: '"23"' },
      '@{execution_epoch}': { duckdb: '"1577959872.0"', postgres: '"1577959872.0"' },
      '@{start_date}': {
        duckdb: '"cast(\'2020-01-01\' as date)"',
        postgres: '"CAST(\'2020-01-01\' AS DATE)"',
      },
      'c_@{start_millis}_@{end_ts}': {
        duckdb: '"c_1577836800000_2020-01-01 23:59:59.999999"',
        postgres: '"c_1577836800000_2020-01-01 23:59:59.999999"',
      },
    },
  },
  {
    label: 'one hour, execution with milliseconds',
    start: '2020-01-01T05:00:00Z',
    end: '2020-01-01T06:00:00Z',
    execution: '2024-02-29T23:59:59.123Z',
    values: {
      start_ds: "'2020-01-01'",
      start_date: "CAST('2020-01-01' AS DATE)",
      start_ts: "'2020-01-01 05:00:00'",
      start_tstz: "'2020-01-01 05:00:00+00:00'",
      start_dt: "CAST('2020-01-01 05:00:00+00:00' AS TIMESTAMPTZ)",
      start_dtntz: "CAST('2020-01-01 05:00:00' AS TIMESTAMP)",
      start_epoch: '1577854800.0',
      start_millis: '1577854800000',
      start_hour: '5',
      end_ds: "'2020-01-01'",
      end_date: "CAST('2020-01-01' AS DATE)",
      end_ts: "'2020-01-01 05:59:59.999999'",
      end_tstz: "'2020-01-01 05:59:59.999999+00:00'",
      end_dt: "CAST('2020-01-01 05:59:59.999999+00:00' AS TIMESTAMPTZ)",
      end_dtntz: "CAST('2020-01-01 05:59:59.999999' AS TIMESTAMP)",
      end_epoch: '1577858399.999',
      end_millis: '1577858399999',
      end_hour: '5',
      execution_ds: "'2024-02-29'",
      execution_date: "CAST('2024-02-29' AS DATE)",
      execution_ts: "'2024-02-29 23:59:59.123000'",
      execution_tstz: "'2024-02-29 23:59:59.123000+00:00'",
      execution_dt: "CAST('2024-02-29 23:59:59.123000+00:00' AS TIMESTAMPTZ)",
      execution_dtntz: "CAST('2024-02-29 23:59:59.123000' AS TIMESTAMP)",
      execution_epoch: '1709251199.123',
      execution_millis: '1709251199123',
      execution_hour: '23',
      latest_ds: "'2024-02-29'",
      latest_date: "CAST('2024-02-29' AS DATE)",
      latest_ts: "'2024-02-29 23:59:59.123000'",
      latest_tstz: "'2024-02-29 23:59:59.123000+00:00'",
      latest_dt: "CAST('2024-02-29 23:59:59.123000+00:00' AS TIMESTAMPTZ)",
      latest_dtntz: "CAST('2024-02-29 23:59:59.123000' AS TIMESTAMP)",
      latest_epoch: '1709251199.123',
      latest_millis: '1709251199123',
      latest_hour: '23',
    },
    spliced: {
      'x_@{start_ds}': { duckdb: '"x_2020-01-01"', postgres: '"x_2020-01-01"' },
      '@{end_hour}': { duckdb: '"5"', postgres: '"5"' },
      '@{execution_epoch}': { duckdb: '"1709251199.123"', postgres: '"1709251199.123"' },
      '@{start_date}': {
        duckdb: '"cast(\'2020-01-01\' as date)"',
        postgres: '"CAST(\'2020-01-01\' AS DATE)"',
      },
      'c_@{start_millis}_@{end_ts}': {
        duckdb: '"c_1577854800000_2020-01-01 05:59:59.999999"',
        postgres: '"c_1577854800000_2020-01-01 05:59:59.999999"',
      },
    },
  },
  {
    label: 'before the epoch',
    start: '1969-12-31T23:00:00Z',
    end: '1970-01-01T00:00:00Z',
    execution: '2038-01-19T03:14:08Z',
    values: {
      start_ds: "'1969-12-31'",
      start_date: "CAST('1969-12-31' AS DATE)",
      start_ts: "'1969-12-31 23:00:00'",
      start_tstz: "'1969-12-31 23:00:00+00:00'",
      start_dt: "CAST('1969-12-31 23:00:00+00:00' AS TIMESTAMPTZ)",
      start_dtntz: "CAST('1969-12-31 23:00:00' AS TIMESTAMP)",
      start_epoch: '-3600.0',
      start_millis: '-3600000',
      start_hour: '23',
      end_ds: "'1969-12-31'",
      end_date: "CAST('1969-12-31' AS DATE)",
      end_ts: "'1969-12-31 23:59:59.999999'",
      end_tstz: "'1969-12-31 23:59:59.999999+00:00'",
      end_dt: "CAST('1969-12-31 23:59:59.999999+00:00' AS TIMESTAMPTZ)",
      end_dtntz: "CAST('1969-12-31 23:59:59.999999' AS TIMESTAMP)",
      end_epoch: '0.0',
      end_millis: '0',
      end_hour: '23',
      execution_ds: "'2038-01-19'",
      execution_date: "CAST('2038-01-19' AS DATE)",
      execution_ts: "'2038-01-19 03:14:08'",
      execution_tstz: "'2038-01-19 03:14:08+00:00'",
      execution_dt: "CAST('2038-01-19 03:14:08+00:00' AS TIMESTAMPTZ)",
      execution_dtntz: "CAST('2038-01-19 03:14:08' AS TIMESTAMP)",
      execution_epoch: '2147483648.0',
      execution_millis: '2147483648000',
      execution_hour: '3',
      latest_ds: "'2038-01-19'",
      latest_date: "CAST('2038-01-19' AS DATE)",
      latest_ts: "'2038-01-19 03:14:08'",
      latest_tstz: "'2038-01-19 03:14:08+00:00'",
      latest_dt: "CAST('2038-01-19 03:14:08+00:00' AS TIMESTAMPTZ)",
      latest_dtntz: "CAST('2038-01-19 03:14:08' AS TIMESTAMP)",
      latest_epoch: '2147483648.0',
      latest_millis: '2147483648000',
      latest_hour: '3',
    },
    spliced: {
      'x_@{start_ds}': { duckdb: '"x_1969-12-31"', postgres: '"x_1969-12-31"' },
      '@{end_hour}': { duckdb: '"23"', postgres: '"23"' },
      '@{execution_epoch}': { duckdb: '"2147483648.0"', postgres: '"2147483648.0"' },
      '@{start_date}': {
        duckdb: '"cast(\'1969-12-31\' as date)"',
        postgres: '"CAST(\'1969-12-31\' AS DATE)"',
      },
      'c_@{start_millis}_@{end_ts}': {
        duckdb: '"c_-3600000_1969-12-31 23:59:59.999999"',
        postgres: '"c_-3600000_1969-12-31 23:59:59.999999"',
      },
    },
  },
  {
    label: 'a leap-year February',
    start: '2024-02-01T00:00:00Z',
    end: '2024-03-01T00:00:00Z',
    execution: '2024-03-01T00:00:00.001Z',
    values: {
      start_ds: "'2024-02-01'",
      start_date: "CAST('2024-02-01' AS DATE)",
      start_ts: "'2024-02-01 00:00:00'",
      start_tstz: "'2024-02-01 00:00:00+00:00'",
      start_dt: "CAST('2024-02-01 00:00:00+00:00' AS TIMESTAMPTZ)",
      start_dtntz: "CAST('2024-02-01 00:00:00' AS TIMESTAMP)",
      start_epoch: '1706745600.0',
      start_millis: '1706745600000',
      start_hour: '0',
      end_ds: "'2024-02-29'",
      end_date: "CAST('2024-02-29' AS DATE)",
      end_ts: "'2024-02-29 23:59:59.999999'",
      end_tstz: "'2024-02-29 23:59:59.999999+00:00'",
      end_dt: "CAST('2024-02-29 23:59:59.999999+00:00' AS TIMESTAMPTZ)",
      end_dtntz: "CAST('2024-02-29 23:59:59.999999' AS TIMESTAMP)",
      end_epoch: '1709251199.999',
      end_millis: '1709251199999',
      end_hour: '23',
      execution_ds: "'2024-03-01'",
      execution_date: "CAST('2024-03-01' AS DATE)",
      execution_ts: "'2024-03-01 00:00:00.001000'",
      execution_tstz: "'2024-03-01 00:00:00.001000+00:00'",
      execution_dt: "CAST('2024-03-01 00:00:00.001000+00:00' AS TIMESTAMPTZ)",
      execution_dtntz: "CAST('2024-03-01 00:00:00.001000' AS TIMESTAMP)",
      execution_epoch: '1709251200.001',
      execution_millis: '1709251200001',
      execution_hour: '0',
      latest_ds: "'2024-03-01'",
      latest_date: "CAST('2024-03-01' AS DATE)",
      latest_ts: "'2024-03-01 00:00:00.001000'",
      latest_tstz: "'2024-03-01 00:00:00.001000+00:00'",
      latest_dt: "CAST('2024-03-01 00:00:00.001000+00:00' AS TIMESTAMPTZ)",
      latest_dtntz: "CAST('2024-03-01 00:00:00.001000' AS TIMESTAMP)",
      latest_epoch: '1709251200.001',
      latest_millis: '1709251200001',
      latest_hour: '0',
    },
    spliced: {
      'x_@{start_ds}': { duckdb: '"x_2024-02-01"', postgres: '"x_2024-02-01"' },
      '@{end_hour}': { duckdb: '"23"', postgres: '"23"' },
      '@{execution_epoch}': { duckdb: '"1709251200.001"', postgres: '"1709251200.001"' },
      '@{start_date}': {
        duckdb: '"cast(\'2024-02-01\' as date)"',
        postgres: '"CAST(\'2024-02-01\' AS DATE)"',
      },
      'c_@{start_millis}_@{end_ts}': {
        duckdb: '"c_1706745600000_2024-02-29 23:59:59.999999"',
        postgres: '"c_1706745600000_2024-02-29 23:59:59.999999"',
      },
    },
  },
];

const ctxFor = (row: (typeof SQLMESH_RENDERED)[number], dialect: string): MacroContext => ({
  start: Date.parse(row.start),
  end: Date.parse(row.end),
  execution: Date.parse(row.execution),
  thisModel: 'sluice__s.s__m__abc',
  kind: 'INCREMENTAL_BY_TIME_RANGE',
  dialect,
});

const DAY: MacroContext = {
  start: Date.parse('2020-01-01T00:00:00Z'),
  end: Date.parse('2020-01-02T00:00:00Z'),
  execution: Date.parse('2020-01-02T10:11:12Z'),
  thisModel: 'sluice__sales.sales__orders__1a2b',
  kind: 'INCREMENTAL_BY_TIME_RANGE',
  dialect: 'duckdb',
};

describe('renderMacros matches SQLMesh', () => {
  it('covers every prefix and suffix in the reference table', () => {
    const names = MACRO_PREFIXES.flatMap((p) => MACRO_SUFFIXES.map((s) => `${p}_${s}`)).sort();
    for (const row of SQLMESH_RENDERED) expect(Object.keys(row.values).sort()).toEqual(names);
  });

  for (const dialect of ['duckdb', 'postgres']) {
    for (const row of SQLMESH_RENDERED) {
      it(`renders every variable for ${row.label} in ${dialect}`, () => {
        const ctx = ctxFor(row, dialect);
        for (const [name, expected] of Object.entries(row.values)) {
          expect(renderMacros(`@${name}`, ctx), name).toBe(expected);
          expect(renderMacros(`@${name.toUpperCase()}`, ctx), name).toBe(expected);
        }
      });

      it(`splices @{...} into identifiers for ${row.label} in ${dialect}`, () => {
        const ctx = ctxFor(row, dialect);
        for (const [sql, expected] of Object.entries(row.spliced)) {
          expect(renderMacros(sql, ctx), sql).toBe(expected[dialect as 'duckdb' | 'postgres']);
        }
      });
    }
  }

  it('normalises spliced identifiers per dialect as SQLMesh does', () => {
    const sql = 'SELECT Tbl_@{start_ds}, "Q_@{start_ds}", X_@{start_hour}, "Y_@{start_hour}", @{start_hour}';
    expect(renderMacros(sql, { ...DAY, dialect: 'postgres' })).toBe(
      'SELECT "Tbl_2020-01-01", "Q_2020-01-01", "x_0", "Y_0", "0"',
    );
    expect(renderMacros(sql, { ...DAY, dialect: 'duckdb' })).toBe(
      'SELECT "tbl_2020-01-01", "q_2020-01-01", "x_0", "y_0", "0"',
    );
  });
});

describe('renderMacros', () => {
  it('replaces variables in a whole query and leaves strings and comments alone', () => {
    const sql = [
      'SELECT id, @execution_ts AS loaded_at -- @start_ds stays',
      "FROM raw.events WHERE ds BETWEEN @start_ds AND @{end_ds}x AND note <> '@end_ds'",
      '/* @end_ts */ AND ts < @end_ts::TIMESTAMP AND $$@start_ds$$ IS NOT NULL',
    ].join('\n');
    expect(renderMacros(sql, DAY)).toBe(
      [
        "SELECT id, '2020-01-02 10:11:12' AS loaded_at -- @start_ds stays",
        `FROM raw.events WHERE ds BETWEEN '2020-01-01' AND "2020-01-01x" AND note <> '@end_ds'`,
        "/* @end_ts */ AND ts < '2020-01-01 23:59:59.999999'::TIMESTAMP AND $$@start_ds$$ IS NOT NULL",
      ].join('\n'),
    );
  });

  it('renders @this_model as the quoted physical table the caller names', () => {
    expect(renderMacros('SELECT * FROM @this_model WHERE x IN (SELECT x FROM @{this_model})', DAY)).toBe(
      'SELECT * FROM "sluice__sales"."sales__orders__1a2b" WHERE x IN (SELECT x FROM "sluice__sales"."sales__orders__1a2b")',
    );
    expect(renderMacros('@this_model', { ...DAY, thisModel: '"My Schema"."T"' })).toBe('"My Schema"."T"');
  });

  it('uses the exclusive end minus one microsecond for every end variable', () => {
    const hour = {
      ...DAY,
      start: Date.parse('2020-03-01T13:00:00Z'),
      end: Date.parse('2020-03-01T14:00:00Z'),
    };
    expect(renderMacros('@end_ts @end_hour @end_millis @start_hour', hour)).toBe(
      "'2020-03-01 13:59:59.999999' 13 1583071199999 13",
    );
  });

  it('keeps execution variables and @this_model in VIEW and FULL models', () => {
    for (const kind of ['VIEW', 'FULL'] as const) {
      expect(renderMacros('SELECT @execution_ds, @this_model', { ...DAY, kind })).toBe(
        `SELECT '2020-01-02', "sluice__sales"."sales__orders__1a2b"`,
      );
    }
  });

  it('leaves SQL without macros untouched, including PostgreSQL operators that use @', () => {
    const sql = "SELECT a @> b, @ -5, ts @@ to_tsquery('x') FROM t";
    expect(renderMacros(sql, { ...DAY, dialect: 'postgres' })).toBe(sql);
  });
});

describe('macro errors', () => {
  it('rejects an unsupported macro with file and line', () => {
    const sql = 'SELECT 1\nFROM t\nWHERE @IF(@x, a, b)';
    expect(() => renderMacros(sql, DAY, { file: 'models/orders.sql', line: 4 })).toThrow(
      'models/orders.sql:6: macro @IF is not supported by sluice (sluice renders only @start_*, @end_*, @execution_* and @this_model)',
    );
  });

  it('rejects an unsupported macro without a location, naming the line in the SQL', () => {
    expect(() => renderMacros('SELECT\n@var(x)', DAY)).toThrow(
      'line 2: macro @var is not supported by sluice',
    );
  });

  it('rejects an unsupported macro spliced into an identifier', () => {
    expect(() => renderMacros('SELECT tbl_@{suffix}', DAY)).toThrow(
      'macro @suffix is not supported by sluice',
    );
  });

  it('rejects @{this_model} inside a longer identifier', () => {
    expect(() => renderMacros('SELECT * FROM @{this_model}_tmp', DAY)).toThrow(
      '@{this_model} cannot be part of an identifier; write @this_model on its own',
    );
  });

  it('rejects @start_* in a FULL model, naming the variable and the model', () => {
    const error = (() => {
      try {
        renderMacros(
          'SELECT *\nFROM raw.orders WHERE ds >= @start_ds',
          { ...DAY, kind: 'FULL', modelName: 'sales.orders' },
          { file: 'models/orders.sql', line: 3 },
        );
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(MacroError);
    expect((error as MacroError).message).toBe(
      'models/orders.sql:4: @start_ds is not available in FULL model sales.orders: FULL models process no interval, only @execution_* and @this_model are set',
    );
    expect((error as MacroError).macro).toBe('start_ds');
    expect((error as MacroError).line).toBe(4);
  });

  it('rejects @end_* in a VIEW model', () => {
    expect(() => renderMacros('SELECT @{end_ds}', { ...DAY, kind: 'VIEW' })).toThrow(
      '@end_ds is not available in VIEW model sluice__sales.sales__orders__1a2b',
    );
  });

  it('rejects a dialect it cannot render for', () => {
    expect(() => renderMacros('SELECT @start_ds', { ...DAY, dialect: 'bigquery' })).toThrow(
      'cannot render macro variables for dialect "bigquery": sluice supports duckdb and postgres',
    );
  });
});

describe('finding macros at load time', () => {
  it('knows the supported variable names', () => {
    for (const name of [
      'start_ds',
      'END_TS',
      'execution_epoch',
      'latest_hour',
      'this_model',
      'start_dtntz',
    ]) {
      expect(isSupportedMacroVariable(name), name).toBe(true);
    }
    for (const name of ['IF', 'EACH', 'DEF', 'var', 'start', 'start_week', 'gateway', 'this_env']) {
      expect(isSupportedMacroVariable(name), name).toBe(false);
    }
  });

  it('lists unsupported macros with their lines, ignoring strings and comments', () => {
    const sql = [
      '@DEF(threshold, 10);',
      "SELECT @EACH(['a', 'b'], x -> x) -- @IF in a comment",
      "FROM t WHERE v > @threshold AND s = '@nope' AND ds = @start_ds",
      'AND "col_@{suffix}" IS NOT NULL',
    ].join('\n');
    expect(findUnsupportedMacros(sql, 5)).toEqual([
      { name: 'DEF', line: 5 },
      { name: 'EACH', line: 6 },
      { name: 'threshold', line: 7 },
      { name: 'suffix', line: 8 },
    ]);
  });

  it('reports interval variables in VIEW and FULL models and unsupported macros', () => {
    const sql = 'SELECT @execution_ds, @start_ds,\n@end_ts, @IF(1, 2, 3)';
    expect(findMacroIssues(sql, 'FULL', 'sales.orders', 10)).toEqual([
      {
        name: 'start_ds',
        line: 10,
        message:
          '@start_ds is not available in FULL model sales.orders: FULL models process no interval, only @execution_* and @this_model are set',
      },
      {
        name: 'end_ts',
        line: 11,
        message:
          '@end_ts is not available in FULL model sales.orders: FULL models process no interval, only @execution_* and @this_model are set',
      },
      {
        name: 'IF',
        line: 11,
        message:
          'macro @IF is not supported by sluice (sluice renders only @start_*, @end_*, @execution_* and @this_model)',
      },
    ]);
    expect(
      findMacroIssues(sql.replace('@IF(1, 2, 3)', '1'), 'INCREMENTAL_BY_TIME_RANGE', 'sales.orders'),
    ).toEqual([]);
  });
});
