import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/project/config.ts';
import type { Env } from '../../../core/project/env-overrides.ts';
import { Issues } from '../../../core/project/issues.ts';
import { formatIssue } from '../../../core/project/types.ts';

const NOW = Date.parse('2025-06-15T10:00:00Z');

function read(text: string, env: Env = {}) {
  const issues = new Issues();
  const config = parseConfig(text, 'config.yaml', env, NOW, issues);
  return { config, errors: issues.errors.map(formatIssue), notices: issues.notices };
}

const TWO_GATEWAYS = `gateways:
  warehouse:
    connection:
      type: postgres
      host: db.internal
      port: 5432
      database: analytics
      sslmode: require
      application_name: sluice-test
  Local:
    connection:
      type: duckdb
      database: local.duckdb
      register_comments: false
model_defaults:
  dialect: postgres
  kind: FULL
  cron: '0 6 * * *'
  cron_tz: Europe/Paris
  start: 2024-01-01
  interval_unit: day
  owner: data-team
  enabled: true
  gateway: local
`;

describe('parseConfig', () => {
  it('reads gateways (names lower-cased, settings kept), the first gateway as default, and model_defaults', () => {
    const { config, errors, notices } = read(TWO_GATEWAYS);
    expect(errors).toEqual([]);
    expect(notices).toEqual([]);
    expect(config).toEqual({
      gateways: {
        warehouse: {
          connection: {
            type: 'postgres',
            host: 'db.internal',
            port: 5432,
            database: 'analytics',
            sslmode: 'require',
            application_name: 'sluice-test',
          },
        },
        local: { connection: { type: 'duckdb', database: 'local.duckdb', register_comments: false } },
      },
      defaultGateway: 'warehouse',
      modelDefaults: {
        dialect: 'postgres',
        kind: 'FULL',
        cron: '0 6 * * *',
        cron_tz: 'Europe/Paris',
        start: '2024-01-01',
        interval_unit: 'day',
        owner: 'data-team',
        enabled: true,
        gateway: 'local',
      },
    });
  });

  it('takes default_gateway case-insensitively', () => {
    expect(read(`${TWO_GATEWAYS}default_gateway: LOCAL\n`).config?.defaultGateway).toBe('local');
  });

  it("accepts SQLMesh's `gateway:` alias and a shared default_connection", () => {
    const { config, errors } = read(`gateway:
  main: {}
default_connection:
  type: duckdb
  database: shared.duckdb
model_defaults:
  dialect: duckdb
`);
    expect(errors).toEqual([]);
    expect(config?.gateways).toEqual({ main: { connection: { type: 'duckdb', database: 'shared.duckdb' } } });
  });

  it('reports sections sluice does not use as notices with their lines', () => {
    const { errors, notices } = read(`gateways:
  local:
    connection:
      type: duckdb
    state_connection:
      type: duckdb
model_defaults:
  dialect: duckdb
  storage_format: parquet
linter:
  enabled: true
ui:
  format_on_save: true
variables:
  x: 1
notification_targets: []
format:
  normalize: true
plan:
  auto_categorize_changes: {}
`);
    expect(errors).toEqual([]);
    expect(notices).toEqual([
      'config.yaml:10: config section linter is ignored by sluice',
      'config.yaml:12: config section ui is ignored by sluice',
      'config.yaml:14: config section variables is ignored by sluice',
      'config.yaml:16: config section notification_targets is ignored by sluice',
      'config.yaml:17: config section format is ignored by sluice',
      'config.yaml:19: config section plan is ignored by sluice',
      'config.yaml:5: gateways.local.state_connection is ignored by sluice',
      'config.yaml:9: model_defaults.storage_format is ignored by sluice',
    ]);
  });

  it('reports a YAML syntax error with its line', () => {
    const { config, errors } = read('gateways:\n  local:\n    connection:\n      type: duckdb\n    - oops\n');
    expect(config).toBeUndefined();
    expect(errors).toEqual([
      'config.yaml:5: invalid YAML: A block sequence may not be used as an implicit map key',
    ]);
  });

  it('reports duplicate YAML keys with their line', () => {
    const { errors } = read(
      'gateways:\n  local:\n    connection:\n      type: duckdb\n      type: postgres\n',
    );
    expect(errors).toEqual(['config.yaml:5: invalid YAML: Map keys must be unique']);
  });

  it('rejects a configuration that is not a mapping', () => {
    expect(read('- a\n- b\n').errors).toEqual([
      'config.yaml:1: config.yaml must be a mapping of configuration keys',
    ]);
  });

  it('rejects Jinja, pointing to environment variables for secrets', () => {
    const { errors } = read(`gateways:
  pg:
    connection:
      type: postgres
      password: "{{ env_var('PG_PASSWORD') }}"
`);
    expect(errors).toEqual([
      'config.yaml:5: Jinja in config.yaml is not supported by sluice: set connection secrets with SLUICE__GATEWAYS__<GATEWAY>__CONNECTION__<KEY> environment variables where executors run',
    ]);
  });

  it('reports every configuration problem with its line', () => {
    const { errors } = read(`gateways:
  local:
    connection:
      type: snowflake
  other:
    connection:
      type: postgres
      port: abc
      pre_ping: maybe
      extensions: [httpfs]
    colour: red
  empty: {}
default_gateway: nowhere
model_defaults:
  cron: 'bad'
  cron_tz: Mars/Olympus
  start: next tuesday
  interval_unit: fortnight
  dialect: snowflake
  kind: SNAPSHOT
  gateway: elsewhere
  colour: red
  audits: [not_null]
before_all:
  - SELECT 1
flavour: mint
`);
    // Top-level keys are checked first, then gateways, then model_defaults.
    expect(errors).toEqual([
      'config.yaml:24: before_all is not supported by sluice (before_all)',
      "config.yaml:26: unknown configuration key 'flavour' (flavour)",
      "config.yaml:4: connection type 'snowflake' of gateway local is not supported by sluice (expected duckdb or postgres) (snowflake)",
      "config.yaml:11: unknown key 'colour' in gateway other (expected connection) (colour)",
      'config.yaml:8: gateways.other.connection.port: must be an integer, got "abc"',
      'config.yaml:9: gateways.other.connection.pre_ping: must be true or false, got "maybe"',
      'config.yaml:10: gateways.other.connection.extensions: only string, number and boolean connection settings are supported by sluice',
      'config.yaml:12: gateway empty has no connection',
      "config.yaml:13: default_gateway 'nowhere' is not a gateway of the project (gateways: local, other, empty) (nowhere)",
      'config.yaml:15: invalid cron "bad": expected five fields (minute hour day-of-month month day-of-week), got 1 (bad)',
      "config.yaml:16: unknown time zone 'Mars/Olympus' (Mars/Olympus)",
      "config.yaml:17: invalid start 'next tuesday': invalid time value \"next tuesday\": expected a date (2020-01-01), a timestamp (2020-01-01 12:30:00 or 2020-01-01T12:30:00Z, optionally with an offset such as +02:00; UTC when none is given), epoch milliseconds, or a relative expression (now, today, yesterday, tomorrow, 'N <unit>s ago' with second, minute, hour, day, week, month or year) (next tuesday)",
      "config.yaml:18: unknown interval_unit 'fortnight' (expected year, month, day, hour, half_hour, quarter_hour, five_minute, minute) (fortnight)",
      "config.yaml:19: dialect 'snowflake' is not supported by sluice (expected duckdb or postgres) (snowflake)",
      "config.yaml:20: model_defaults.kind: unknown model kind 'SNAPSHOT' (expected one of VIEW, FULL, INCREMENTAL_BY_TIME_RANGE, INCREMENTAL_BY_UNIQUE_KEY, SEED, EMBEDDED) (SNAPSHOT)",
      "config.yaml:21: unknown gateway 'elsewhere' (gateways: local, other, empty) (elsewhere)",
      "config.yaml:22: 'colour' is not a valid model default configuration key (colour)",
      'config.yaml:23: model_defaults.audits is not supported by sluice (audits)',
    ]);
  });

  it('requires model_defaults.dialect, as SQLMesh does', () => {
    expect(read('gateways:\n  local:\n    connection:\n      type: duckdb\n').errors).toEqual([
      'config.yaml: model_defaults.dialect is required: the SQL dialect models are written in (duckdb or postgres)',
    ]);
  });

  it('requires at least one gateway', () => {
    expect(read('model_defaults:\n  dialect: duckdb\n').errors).toEqual([
      'config.yaml: no gateways are defined (expected gateways: NAME: connection: { type: duckdb | postgres, ... })',
    ]);
  });

  it('checks connection settings with the connection schema, at their lines', () => {
    const { errors } = read(`gateways:
  pg:
    connection:
      type: postgres
      hots: db.internal
      sslmode: always
      token: abc
  lake:
    connection:
      type: duckdb
      database: md:prod
      catalogs: other.duckdb
model_defaults:
  dialect: postgres
`);
    expect(errors).toEqual([
      'config.yaml:5: gateways.pg.connection.hots: unknown setting; expected one of host, port, database, user, password, schema, sslmode, connect_timeout, concurrent_tasks, keepalives_idle, role, application_name',
      'config.yaml:6: gateways.pg.connection.sslmode: must be one of disable, allow, prefer, require, verify-full, got "always"',
      'config.yaml:7: gateways.pg.connection.token: unknown setting; expected one of host, port, database, user, password, schema, sslmode, connect_timeout, concurrent_tasks, keepalives_idle, role, application_name',
      'config.yaml:11: gateways.lake.connection.database: MotherDuck databases are not supported ("md:prod")',
      'config.yaml:12: gateways.lake.connection.catalogs: is not supported by sluice for duckdb gateways',
    ]);
  });

  it('leaves required settings to the executor and reads a number where text is expected as text', () => {
    const { config, errors } = read(`gateways:
  pg:
    connection:
      type: postgres
      schema: 2024
model_defaults:
  dialect: postgres
`);
    expect(errors).toEqual([]);
    expect(config?.gateways.pg?.connection).toEqual({ type: 'postgres', schema: '2024' });
  });

  it('never echoes the value of a string setting in an error', () => {
    const { errors } = read(`gateways:
  pg:
    connection:
      type: postgres
      password: true
model_defaults:
  dialect: postgres
`);
    expect(errors).toEqual(['config.yaml:5: gateways.pg.connection.password: must be a string']);
  });
});

describe('parseConfig with environment variables', () => {
  const BASE = `gateways:
  warehouse:
    connection:
      type: postgres
      host: db.internal
      port: 5432
model_defaults:
  dialect: postgres
`;

  it('overrides config.yaml with SQLMESH__ and SLUICE__ variables; SLUICE__ wins for the same key', () => {
    const { config, errors } = read(BASE, {
      SQLMESH__GATEWAYS__WAREHOUSE__CONNECTION__HOST: 'sqlmesh-host',
      SQLMESH__GATEWAYS__WAREHOUSE__CONNECTION__USER: 'Reader',
      SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__HOST: 'sluice-host',
      SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PORT: '6543',
      SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PRE_PING: 'off',
      sluice__model_defaults__owner: 'ops',
      PATH: '/usr/bin',
    });
    expect(errors).toEqual([]);
    expect(config?.gateways.warehouse?.connection).toEqual({
      type: 'postgres',
      host: 'sluice-host',
      port: 6543,
      user: 'Reader',
      pre_ping: false,
    });
    expect(config?.modelDefaults.owner).toBe('ops');
  });

  it('defines gateways and the default gateway from variables alone', () => {
    const { config, errors } = read(BASE, {
      SLUICE__GATEWAYS__LOCAL__CONNECTION__TYPE: 'duckdb',
      SLUICE__GATEWAYS__LOCAL__CONNECTION__DATABASE: '/data/local.duckdb',
      SLUICE__DEFAULT_GATEWAY: 'local',
    });
    expect(errors).toEqual([]);
    expect(config?.gateways.local).toEqual({
      connection: { type: 'duckdb', database: '/data/local.duckdb' },
    });
    expect(config?.defaultGateway).toBe('local');
  });

  it('names the variable that set a wrong value', () => {
    const { errors } = read(BASE, {
      SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PORT: 'five',
      SLUICE__GATEWAYS__LAKE__CONNECTION__HOST: 'lake',
      SLUICE__DEFAULT_GATEWAY: 'nowhere',
      SLUICE__GATEWAYS__: 'x',
    });
    expect(errors).toEqual([
      '$SLUICE__GATEWAYS__: invalid configuration variable SLUICE__GATEWAYS__ (expected SLUICE__KEY__SUBKEY)',
      '$SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PORT: gateways.warehouse.connection.port: must be an integer, got "five"',
      '$SLUICE__GATEWAYS__LAKE__CONNECTION__HOST: the connection of gateway lake has no type (expected duckdb or postgres)',
      "$SLUICE__DEFAULT_GATEWAY: default_gateway 'nowhere' is not a gateway of the project (gateways: warehouse, lake) (nowhere)",
    ]);
  });
});
