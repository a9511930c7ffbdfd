import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../core/project/load.ts';
import { ProjectError } from '../../../core/project/types.ts';
import { DUCKDB_CONFIG, problems, useTempProjects } from './temp-project.ts';

const writeProject = useTempProjects();
const NOW = Date.parse('2025-06-15T10:00:00Z');
const check = (files: Record<string, string>) => problems(writeProject(files), { now: NOW });
const ok = 'MODEL (name s.ok);\nSELECT 1 AS id\n';

describe('loadProject', () => {
  it('throws a ProjectError carrying every issue', () => {
    const dir = writeProject({
      'models/a.sql': 'MODEL (kind FULL);\nSELECT 1\n',
      'models/b.sql': 'MODEL (name b);\nSELECT 1\n',
    });
    let caught: unknown;
    try {
      loadProject(dir, { now: NOW });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProjectError);
    expect((caught as ProjectError).issues).toEqual([
      { file: 'models/a.sql', line: 1, message: 'the MODEL block has no name' },
      {
        file: 'models/b.sql',
        line: 1,
        message: "model name 'b' must be of the form schema.table",
        text: 'b',
      },
    ]);
    expect((caught as ProjectError).message).toBe(
      "models/a.sql:1: the MODEL block has no name\nmodels/b.sql:1: model name 'b' must be of the form schema.table (b)",
    );
  });

  it('reports a missing project folder', () => {
    expect(problems('/nonexistent/sluice-project')).toEqual([
      '/nonexistent/sluice-project: project folder not found',
    ]);
  });

  it('reports a project without config.yaml', () => {
    expect(check({ 'config.py': 'config = None\n', 'models/a.sql': ok })).toEqual([
      'config.py: config.py is not supported by sluice: write the configuration as config.yaml',
    ]);
  });

  it('reads config.yml but not both config.yaml and config.yml', () => {
    expect(check({ 'config.yml': DUCKDB_CONFIG, 'models/a.sql': ok })).toEqual([]);
    expect(check({ 'config.yml': DUCKDB_CONFIG, 'config.yaml': DUCKDB_CONFIG, 'models/a.sql': ok })).toEqual([
      'config.yml: the project has both config.yaml and config.yml: keep one',
    ]);
  });
});

describe('malformed MODEL headers', () => {
  it('unbalanced parentheses: never closed', () => {
    expect(
      check({ 'models/a.sql': 'MODEL (\n  name s.a,\n  columns (id INT,\n);\nSELECT 1 AS id\n' }),
    ).toEqual([
      "models/a.sql:1: unbalanced parentheses in the MODEL block: '(' opened on line 1 is never closed",
    ]);
  });

  it('unbalanced parentheses: one too many', () => {
    expect(check({ 'models/a.sql': 'MODEL (\n  name s.a,\n  kind FULL));\nSELECT 1 AS id\n' })).toEqual([
      "models/a.sql:3: unbalanced parentheses in the MODEL block: extra ')' after the block (opened on line 1) was closed",
    ]);
  });

  it('missing name', () => {
    expect(check({ 'models/a.sql': 'MODEL (\n  kind FULL\n);\nSELECT 1 AS id\n' })).toEqual([
      'models/a.sql:1: the MODEL block has no name',
    ]);
  });

  it('property without a value', () => {
    expect(check({ 'models/a.sql': 'MODEL (\n  name s.a,\n  cron,\n);\nSELECT 1 AS id\n' })).toEqual([
      'models/a.sql:3: property cron has no value (cron)',
    ]);
  });

  it('no MODEL block at the start of the file', () => {
    expect(check({ 'models/a.sql': '-- just a query\nSELECT 1 AS id\n' })).toEqual([
      'models/a.sql:2: a model file must start with a MODEL (...) block (SELECT)',
    ]);
  });

  it('unknown property', () => {
    expect(check({ 'models/a.sql': "MODEL (\n  name s.a,\n  colour 'blue'\n);\nSELECT 1 AS id\n" })).toEqual([
      "models/a.sql:3: unknown property 'colour' (colour)",
    ]);
  });

  it('a SQLMesh property sluice does not implement, and one it ignores', () => {
    const dir = writeProject({
      'models/a.sql':
        'MODEL (\n  name s.a,\n  partitioned_by ds,\n  signals (always()),\n);\nSELECT 1 AS id\n',
    });
    expect(problems(dir)).toEqual(['models/a.sql:4: property signals is not supported by sluice (signals)']);
  });

  it('a property given twice', () => {
    expect(
      check({ 'models/a.sql': 'MODEL (\n  name s.a,\n  kind FULL,\n  KIND VIEW\n);\nSELECT 1 AS id\n' }),
    ).toEqual(['models/a.sql:4: property kind is given twice (first on line 3) (kind)']);
  });

  it('a lexing error names its line', () => {
    expect(check({ 'models/a.sql': "MODEL (name s.a);\nSELECT 'unterminated\n" })).toEqual([
      'models/a.sql:2: unterminated string literal',
    ]);
  });
});

describe('kinds', () => {
  it('unknown kind', () => {
    expect(check({ 'models/a.sql': 'MODEL (\n  name s.a,\n  kind SNAPSHOT\n);\nSELECT 1 AS id\n' })).toEqual([
      "models/a.sql:3: unknown model kind 'SNAPSHOT' (expected one of VIEW, FULL, INCREMENTAL_BY_TIME_RANGE, INCREMENTAL_BY_UNIQUE_KEY, SEED, EMBEDDED) (SNAPSHOT)",
    ]);
  });

  it('a SQLMesh kind sluice does not run', () => {
    expect(
      check({
        'models/a.sql': 'MODEL (\n  name s.a,\n  kind SCD_TYPE_2 (unique_key id)\n);\nSELECT 1 AS id\n',
      }),
    ).toEqual(['models/a.sql:3: model kind SCD_TYPE_2 is not supported by sluice (SCD_TYPE_2)']);
  });

  it('bad kind parameter value', () => {
    const model = `MODEL (
  name s.a,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column ds,
    batch_size 0
  )
);
SELECT 1 AS id, ds FROM x.y WHERE ds BETWEEN @start_ds AND @end_ds
`;
    expect(check({ 'models/a.sql': model })).toEqual([
      'models/a.sql:5: kind INCREMENTAL_BY_TIME_RANGE: batch_size must be a positive integer (0)',
    ]);
  });

  it('missing time column', () => {
    expect(
      check({
        'models/a.sql':
          'MODEL (\n  name s.a,\n  kind INCREMENTAL_BY_TIME_RANGE (batch_size 2)\n);\nSELECT 1 AS id\n',
      }),
    ).toEqual([
      'models/a.sql:3: kind INCREMENTAL_BY_TIME_RANGE needs a time_column (INCREMENTAL_BY_TIME_RANGE)',
    ]);
  });

  it('a parameter the kind does not have', () => {
    expect(
      check({ 'models/a.sql': 'MODEL (\n  name s.a,\n  kind FULL (batch_size 2)\n);\nSELECT 1 AS id\n' }),
    ).toEqual([
      "models/a.sql:3: kind FULL: unknown parameter 'batch_size' (FULL takes no parameters) (batch_size)",
    ]);
    expect(
      check({
        'models/a.sql': 'MODEL (\n  name s.a,\n  kind VIEW (materialised true)\n);\nSELECT 1 AS id\n',
      }),
    ).toEqual([
      "models/a.sql:3: kind VIEW: unknown parameter 'materialised' (expected materialized) (materialised)",
    ]);
  });

  it('a SQLMesh kind parameter sluice does not implement, and one it ignores', () => {
    const dir = writeProject({
      'models/a.sql': `MODEL (
  name s.a,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key id,
    batch_concurrency 4,
    when_matched WHEN MATCHED THEN UPDATE SET target.x = source.x
  )
);
SELECT 1 AS id
`,
    });
    expect(problems(dir)).toEqual([
      'models/a.sql:6: kind INCREMENTAL_BY_UNIQUE_KEY: parameter when_matched is not supported by sluice (when_matched)',
    ]);
  });

  it('a bad time column', () => {
    expect(
      check({
        'models/a.sql':
          "MODEL (\n  name s.a,\n  kind INCREMENTAL_BY_TIME_RANGE (time_column ('%Y', ds))\n);\nSELECT 1 AS id\n",
      }),
    ).toEqual(["models/a.sql:3: kind INCREMENTAL_BY_TIME_RANGE: time_column must be a column name ('%Y')"]);
  });
});

describe('names and dependencies', () => {
  it('duplicate model name, naming both files and lines', () => {
    expect(
      check({
        'models/a.sql': 'MODEL (name s.a);\nSELECT 1 AS id\n',
        'models/sub/b.sql': '\nMODEL (\n  name S.A\n);\nSELECT 2 AS id\n',
      }),
    ).toEqual([
      'models/sub/b.sql:3: model s.a is defined twice: in models/a.sql:1 and models/sub/b.sql:3 (s.a)',
    ]);
  });

  it('dependency cycle, printed with files', () => {
    expect(
      check({
        'models/a.sql': 'MODEL (name s.a);\nSELECT * FROM s.b\n',
        'models/b.sql': 'MODEL (name s.b);\nSELECT * FROM s.c\n',
        'models/c.sql': 'MODEL (\n  name s.c,\n  depends_on (s.a)\n);\nSELECT 1 AS id\n',
      }),
    ).toEqual([
      'models/a.sql:1: dependency cycle: s.a (models/a.sql:1) -> s.b (models/b.sql:1) -> s.c (models/c.sql:2) -> s.a',
    ]);
  });

  it('reports every separate cycle', () => {
    expect(
      check({
        'models/a.sql': 'MODEL (name s.a);\nSELECT * FROM s.b\n',
        'models/b.sql': 'MODEL (name s.b);\nSELECT * FROM s.a\n',
        'models/x.sql': 'MODEL (name t.x);\nSELECT * FROM t.y\n',
        'models/y.sql': 'MODEL (name t.y);\nSELECT * FROM t.x\n',
      }),
    ).toEqual([
      'models/a.sql:1: dependency cycle: s.a (models/a.sql:1) -> s.b (models/b.sql:1) -> s.a',
      'models/x.sql:1: dependency cycle: t.x (models/x.sql:1) -> t.y (models/y.sql:1) -> t.x',
    ]);
  });

  it('a model reading itself', () => {
    expect(
      check({
        'models/a.sql':
          'MODEL (\n  name s.a,\n  kind INCREMENTAL_BY_UNIQUE_KEY (unique_key id)\n);\nSELECT id FROM s.a\nUNION ALL SELECT 1\n',
      }),
    ).toEqual(['models/a.sql:5: model s.a depends on itself (s.a)']);
  });

  it('a model naming itself in depends_on', () => {
    expect(
      check({ 'models/a.sql': 'MODEL (\n  name s.a,\n  depends_on [s.a]\n);\nSELECT 1 AS id\n' }),
    ).toEqual(['models/a.sql:3: model s.a depends on itself (s.a)']);
  });

  it('depends_on naming a model that does not exist', () => {
    expect(
      check({
        'models/a.sql':
          "MODEL (\n  name s.a,\n  depends_on (\n    s.b,\n    's.missing'\n  )\n);\nSELECT 1 AS id\n",
        'models/b.sql': 'MODEL (name s.b);\nSELECT 1 AS id\n',
      }),
    ).toEqual([
      'models/a.sql:5: depends_on names s.missing, which is not a model of the project (s.missing)',
    ]);
  });

  it('one-part model name', () => {
    expect(check({ 'models/a.sql': 'MODEL (name orders);\nSELECT 1 AS id\n' })).toEqual([
      "models/a.sql:1: model name 'orders' must be of the form schema.table (orders)",
    ]);
  });

  it('three-part model name', () => {
    expect(check({ 'models/a.sql': 'MODEL (\n  name db.s.orders\n);\nSELECT 1 AS id\n' })).toEqual([
      'models/a.sql:2: 3-part model names (catalog.schema.table) are not supported by sluice: name models schema.table (db.s.orders)',
    ]);
  });

  it('model name written as a string', () => {
    expect(check({ 'models/a.sql': "MODEL (name 's.orders');\nSELECT 1 AS id\n" })).toEqual([
      "models/a.sql:1: the model name must be an identifier like schema.table, not a quoted string ('s.orders')",
    ]);
  });
});

describe('schedule and time', () => {
  it('invalid cron', () => {
    expect(
      check({ 'models/a.sql': "MODEL (\n  name s.a,\n  cron 'every day'\n);\nSELECT 1 AS id\n" }),
    ).toEqual([
      'models/a.sql:3: invalid cron "every day": expected five fields (minute hour day-of-month month day-of-week), got 2 (every day)',
    ]);
  });

  it('cron written without quotes', () => {
    expect(check({ 'models/a.sql': 'MODEL (\n  name s.a,\n  cron @daily\n);\nSELECT 1 AS id\n' })).toEqual([
      "models/a.sql:3: cron must be a quoted string (like '@daily') (@daily)",
    ]);
  });

  it('unknown time zone', () => {
    expect(
      check({ 'models/a.sql': "MODEL (\n  name s.a,\n  cron_tz 'Mars/Olympus'\n);\nSELECT 1 AS id\n" }),
    ).toEqual(["models/a.sql:3: unknown time zone 'Mars/Olympus' (Mars/Olympus)"]);
  });

  it('cron more frequent than the interval unit', () => {
    expect(
      check({
        'models/a.sql': "MODEL (\n  name s.a,\n  cron '@hourly',\n  interval_unit day\n);\nSELECT 1 AS id\n",
      }),
    ).toEqual([
      "models/a.sql:4: cron '@hourly' fires more often than interval unit 'day' (at most 'hour' fits it) (@hourly)",
    ]);
  });

  it('end before start', () => {
    expect(
      check({
        'models/a.sql':
          "MODEL (\n  name s.a,\n  start '2020-01-01',\n  end '2019-12-31'\n);\nSELECT 1 AS id\n",
      }),
    ).toEqual(["models/a.sql:4: end '2019-12-31' is before start '2020-01-01' (2019-12-31)"]);
  });

  it('end without any start', () => {
    const config =
      'gateways:\n  local:\n    connection:\n      type: duckdb\nmodel_defaults:\n  dialect: duckdb\n';
    expect(
      check({
        'config.yaml': config,
        'models/a.sql': "MODEL (\n  name s.a,\n  end '2030-01-01'\n);\nSELECT 1 AS id\n",
      }),
    ).toEqual(['models/a.sql:3: a model with an end needs a start (2030-01-01)']);
  });

  it('bad start value', () => {
    expect(
      check({ 'models/a.sql': "MODEL (\n  name s.a,\n  start 'next tuesday'\n);\nSELECT 1 AS id\n" }),
    ).toEqual([
      'models/a.sql:3: invalid start: invalid time value "next tuesday": expected a date (2020-01-01), a timestamp (2020-01-01 12:30:00 or 2020-01-01T12:30:00Z, optionally with an offset such as +02:00; UTC when none is given), epoch milliseconds, or a relative expression (now, today, yesterday, tomorrow, \'N <unit>s ago\' with second, minute, hour, day, week, month or year) (next tuesday)',
    ]);
  });

  it('start written without quotes', () => {
    expect(
      check({ 'models/a.sql': 'MODEL (\n  name s.a,\n  start 2020-01-01\n);\nSELECT 1 AS id\n' }),
    ).toEqual([
      "models/a.sql:3: start must be a quoted date or time (like '2024-01-01') or epoch milliseconds (2020-01-01)",
    ]);
  });
});

describe('seeds, gateways and audits', () => {
  it('missing seed file, naming the resolved path', () => {
    expect(
      check({
        'models/seeds/a.sql':
          "MODEL (\n  name s.a,\n  kind SEED (\n    path '../../seeds/missing.csv'\n  )\n);\n",
      }),
    ).toEqual([
      "models/seeds/a.sql:3: seed file seeds/missing.csv not found (the SEED path '../../seeds/missing.csv' is read relative to the model file) (../../seeds/missing.csv)",
    ]);
  });

  it('unknown gateway', () => {
    expect(
      check({ 'models/a.sql': 'MODEL (\n  name s.a,\n  gateway warehouse\n);\nSELECT 1 AS id\n' }),
    ).toEqual(["models/a.sql:3: unknown gateway 'warehouse' (gateways: local) (warehouse)"]);
  });

  it('unknown audit', () => {
    expect(
      check({
        'models/a.sql':
          'MODEL (\n  name s.a,\n  audits (\n    not_null(columns := (id)),\n    no_such_audit\n  )\n);\nSELECT 1 AS id\n',
      }),
    ).toEqual(["models/a.sql:5: unknown audit 'no_such_audit' (no_such_audit)"]);
  });

  it('a SQLMesh built-in audit sluice does not run, and bad built-in arguments', () => {
    expect(
      check({
        'models/a.sql':
          'MODEL (\n  name s.a,\n  audits (\n    z_score(column := id),\n    not_null,\n    accepted_range(column := id)\n  )\n);\nSELECT 1 AS id\n',
      }),
    ).toEqual([
      'models/a.sql:4: built-in audit z_score is not supported by sluice (z_score)',
      'models/a.sql:5: audit not_null needs columns := (not_null)',
      'models/a.sql:6: audit accepted_range needs min_v := or max_v := (accepted_range)',
    ]);
  });

  it('a project audit called without the arguments its query uses', () => {
    expect(
      check({
        'audits/checks.sql':
          'AUDIT (name needs_column);\nSELECT *\nFROM @this_model\nWHERE @column IS NULL\n',
        'models/a.sql':
          'MODEL (\n  name s.a,\n  audits (\n    needs_column,\n    needs_column(col := x)\n  )\n);\nSELECT 1 AS id\n',
      }),
    ).toEqual([
      'models/a.sql:4: audit needs_column needs argument column := ... (used as @column in audits/checks.sql:4) (needs_column)',
      'models/a.sql:5: audit needs_column needs argument column := ... (used as @column in audits/checks.sql:4) (needs_column)',
      "models/a.sql:5: audit needs_column has no parameter 'col' (col)",
    ]);
  });

  it('audit files: no AUDIT block, duplicates, standalone audits, macro functions, a missing name', () => {
    expect(
      check({
        'audits/a.sql': 'AUDIT (name twice);\nSELECT * FROM @this_model WHERE @EACH(x)\n',
        'audits/b.sql': 'SELECT 1;\n',
        'audits/c.sql': 'AUDIT (\n  name twice,\n  standalone true\n);\nSELECT 1\n',
        'audits/d.sql': 'AUDIT (blocking false);\nSELECT 1\n',
        'models/a.sql': ok,
      }),
    ).toEqual([
      'audits/a.sql:2: macro @EACH is not supported by sluice (@EACH)',
      'audits/b.sql:1: an audit file must start with an AUDIT (...) block (SELECT)',
      'audits/c.sql:2: audit twice is defined twice: in audits/a.sql:1 and audits/c.sql:2 (twice)',
      'audits/c.sql:3: standalone audits are not supported by sluice (standalone)',
      'audits/d.sql:1: the AUDIT block has no name',
    ]);
  });
});

describe('what sluice does not run', () => {
  it('Python models, naming the file', () => {
    expect(
      check({
        'models/py_model.py':
          "# a python model\nimport pandas as pd\nfrom sqlmesh import model\n\n@model('s.py', columns={'id': 'int'})\ndef execute(context, **kwargs):\n    return pd.DataFrame()\n",
        'models/__init__.py': '# nothing here\n',
        'models/a.sql': ok,
      }),
    ).toEqual(['models/py_model.py:5: Python models are not supported by sluice']);
  });

  it('Jinja, with its line', () => {
    expect(
      check({
        'models/a.sql': 'MODEL (name s.a);\nSELECT 1 AS id\n{% if true %}\nWHERE 1 = 1\n{% endif %}\n',
        'models/b.sql': 'MODEL (name s.b);\n\nJINJA_QUERY_BEGIN;\nSELECT {{ 1 }} AS id;\nJINJA_END;\n',
        'models/c.sql': "MODEL (name s.c);\nSELECT '{{ in a string }}' AS id, {{ 'y' }}\n",
        'models/d.sql': 'MODEL (name s.d);\nSELECT {{ "unterminated\n',
      }),
    ).toEqual([
      'models/a.sql:3: Jinja is not supported by sluice',
      'models/b.sql:3: Jinja is not supported by sluice',
      'models/c.sql:2: Jinja is not supported by sluice',
      'models/d.sql:2: Jinja is not supported by sluice',
    ]);
  });

  it('macros other than the supported variables, with their lines', () => {
    expect(
      check({
        'models/a.sql':
          'MODEL (name s.a, kind FULL);\nSELECT 1 AS id\nFROM x.y\nWHERE @IF(true, 1 = 1)\n  AND z = @my_var\n',
      }),
    ).toEqual([
      'models/a.sql:4: macro @IF is not supported by sluice (sluice renders only @start_*, @end_*, @execution_* and @this_model) (@IF)',
      'models/a.sql:5: macro @my_var is not supported by sluice (sluice renders only @start_*, @end_*, @execution_* and @this_model) (@my_var)',
    ]);
  });

  it('macros in the header', () => {
    expect(
      check({ 'models/a.sql': 'MODEL (\n  name s.a,\n  start @start_ds\n);\nSELECT 1 AS id\n' }),
    ).toEqual(['models/a.sql:3: macro @start_ds is not supported by sluice (@start_ds)']);
  });

  it('pre/post statements, naming each line', () => {
    expect(
      check({
        'models/a.sql': 'MODEL (name s.a);\nSET threads = 4;\nSELECT 1 AS id;\nINSERT INTO log VALUES (1);\n',
      }),
    ).toEqual([
      'models/a.sql:2: pre/post statements are not supported by sluice',
      'models/a.sql:4: pre/post statements are not supported by sluice',
    ]);
    expect(
      check({
        'seeds/s.csv': 'a\n1\n',
        'models/s.sql': "MODEL (name s.s, kind SEED (path '../seeds/s.csv'));\nSELECT 1;\n",
      }),
    ).toEqual(['models/s.sql:2: pre/post statements are not supported by sluice']);
  });

  it('a model without a query, or whose only statement is not a query', () => {
    expect(check({ 'models/a.sql': 'MODEL (name s.a);\n-- nothing\n' })).toEqual([
      'models/a.sql:1: the model has no query after its MODEL block',
    ]);
    expect(check({ 'models/a.sql': 'MODEL (name s.a);\nINSERT INTO x SELECT 1\n' })).toEqual([
      'models/a.sql:2: the model query must be a SELECT query (SELECT, WITH, FROM or VALUES)',
    ]);
  });

  it('interval variables in a FULL model', () => {
    expect(check({ 'models/a.sql': 'MODEL (name s.a, kind FULL);\nSELECT @start_ds AS d\n' })).toEqual([
      'models/a.sql:2: @start_ds is not available in FULL model s.a: FULL models process no interval, only @execution_* and @this_model are set (@start_ds)',
    ]);
  });

  it('notes macros with code and unit tests, but not an empty __init__.py', () => {
    const dir = writeProject({
      'models/a.sql': ok,
      'macros/__init__.py': '',
      'macros/empty.py': '# only a comment\n\n',
      'macros/helpers.py': '# helpers\n\nfrom sqlmesh import macro\n',
      'tests/test_a.yaml': 'test_a:\n  model: s.ok\n',
      'models/README.md': 'notes\n',
    });
    const project = loadProject(dir, { now: NOW });
    expect(project.notices).toEqual([
      'models/README.md: only .sql files are read from models/; this file is ignored',
      'macros/helpers.py: macros are not supported by sluice: this file is ignored',
      'tests/: SQLMesh unit tests are not run by sluice',
    ]);
  });
});

describe('a project with many problems', () => {
  it('reports all of them in one pass, sorted by file and line', () => {
    expect(
      check({
        'config.yaml': `${DUCKDB_CONFIG}ui: {}\nflavour: mint\n`,
        'models/a.sql': "MODEL (\n  name s.a,\n  cron 'bad',\n  colour red\n);\nSELECT * FROM s.b\n",
        'models/b.sql':
          'MODEL (\n  name s.b,\n  gateway nowhere,\n  depends_on (s.gone)\n);\nSELECT @IF(1) FROM s.a\n',
        'models/c.py': 'print(1)\n',
        'audits/x.sql': 'SELECT 1\n',
      }),
    ).toEqual([
      'audits/x.sql:1: an audit file must start with an AUDIT (...) block (SELECT)',
      "config.yaml:10: unknown configuration key 'flavour' (flavour)",
      'models/a.sql:2: dependency cycle: s.a (models/a.sql:2) -> s.b (models/b.sql:2) -> s.a',
      'models/a.sql:3: invalid cron "bad": expected five fields (minute hour day-of-month month day-of-week), got 1 (bad)',
      "models/a.sql:4: unknown property 'colour' (colour)",
      "models/b.sql:3: unknown gateway 'nowhere' (gateways: local) (nowhere)",
      'models/b.sql:4: depends_on names s.gone, which is not a model of the project (s.gone)',
      'models/b.sql:6: macro @IF is not supported by sluice (sluice renders only @start_*, @end_*, @execution_* and @this_model) (@IF)',
      'models/c.py:1: Python models are not supported by sluice',
    ]);
  });
});
