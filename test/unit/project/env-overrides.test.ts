import { describe, expect, it } from 'vitest';
import { applyEnvOverrides, gatewaysFromEnv, readEnvOverrides } from '../../../core/project/env-overrides.ts';
import type { ConfigTree } from '../../../core/project/gateways.ts';
import { Issues } from '../../../core/project/issues.ts';
import { ProjectError } from '../../../core/project/types.ts';

describe('readEnvOverrides', () => {
  it('reads SQLMESH__ then SLUICE__ variables, lower-cased and split on __, values untouched', () => {
    const issues = new Issues();
    const overrides = readEnvOverrides(
      {
        SLUICE__GATEWAYS__WH__CONNECTION__PASSWORD: 'S3cret__X',
        SQLMESH__GATEWAYS__WH__CONNECTION__PASSWORD: 'older',
        SQLMESH__AIRFLOW__DISABLE_STATE_MIGRATION: '1',
        Sluice__Default_Gateway: 'WH',
        SLUICE_NOT_CONFIG: 'x',
        UNSET: undefined,
      },
      issues,
    );
    expect(issues.errors).toEqual([]);
    expect(overrides).toEqual([
      {
        variable: 'SQLMESH__GATEWAYS__WH__CONNECTION__PASSWORD',
        path: ['gateways', 'wh', 'connection', 'password'],
        value: 'older',
      },
      {
        variable: 'SLUICE__GATEWAYS__WH__CONNECTION__PASSWORD',
        path: ['gateways', 'wh', 'connection', 'password'],
        value: 'S3cret__X',
      },
      { variable: 'Sluice__Default_Gateway', path: ['default_gateway'], value: 'WH' },
    ]);
    const tree: ConfigTree = {
      gateways: { wh: { connection: { type: 'postgres', password: 'from-yaml' } } },
    };
    const sources = applyEnvOverrides(tree, overrides);
    expect(tree).toEqual({
      gateways: { wh: { connection: { type: 'postgres', password: 'S3cret__X' } } },
      default_gateway: 'WH',
    });
    expect(sources.get(['gateways', 'wh', 'connection', 'password'].join('\u0000'))).toBe(
      'SLUICE__GATEWAYS__WH__CONNECTION__PASSWORD',
    );
  });

  it('reports variables with an empty key', () => {
    const issues = new Issues();
    expect(readEnvOverrides({ SQLMESH__: 'x', SLUICE__GATEWAYS____HOST: 'y' }, issues)).toEqual([]);
    expect(issues.errors).toEqual([
      {
        file: '$SQLMESH__',
        line: 0,
        message: 'invalid configuration variable SQLMESH__ (expected SQLMESH__KEY__SUBKEY)',
      },
      {
        file: '$SLUICE__GATEWAYS____HOST',
        line: 0,
        message: 'invalid configuration variable SLUICE__GATEWAYS____HOST (expected SLUICE__KEY__SUBKEY)',
      },
    ]);
  });
});

describe('gatewaysFromEnv', () => {
  it('builds typed warehouse connections from the environment alone', () => {
    expect(
      gatewaysFromEnv({
        SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__TYPE: 'postgres',
        SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__HOST: 'db.internal',
        SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PORT: ' 5433 ',
        SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PASSWORD: '12345',
        SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PRE_PING: 'Yes',
        SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__KEEPALIVES_IDLE: '30',
        SQLMESH__GATEWAYS__LAKE__CONNECTION__TYPE: 'duckdb',
        SQLMESH__GATEWAYS__LAKE__CONNECTION__DATABASE: '/data/lake.duckdb',
        HOME: '/root',
      }),
    ).toEqual({
      lake: { connection: { type: 'duckdb', database: '/data/lake.duckdb' } },
      warehouse: {
        connection: {
          type: 'postgres',
          host: 'db.internal',
          port: 5433,
          password: '12345',
          pre_ping: true,
          keepalives_idle: 30,
        },
      },
    });
  });

  it('refuses a setting the connection type does not have, naming its variable', () => {
    expect(() =>
      gatewaysFromEnv({
        SQLMESH__GATEWAYS__LAKE__CONNECTION__TYPE: 'duckdb',
        SQLMESH__GATEWAYS__LAKE__CONNECTION__READ_ONLY: 'true',
      }),
    ).toThrow(
      '$SQLMESH__GATEWAYS__LAKE__CONNECTION__READ_ONLY: gateways.lake.connection.read_only: unknown setting; expected one of database, extensions, connector_config',
    );
  });

  it('gives no gateways for an environment without configuration variables', () => {
    expect(gatewaysFromEnv({ PATH: '/usr/bin' })).toEqual({});
  });

  it('throws a ProjectError naming each wrong variable, without echoing secrets', () => {
    let caught: unknown;
    try {
      gatewaysFromEnv({
        SLUICE__GATEWAYS__A__CONNECTION__HOST: 'a.internal',
        SLUICE__GATEWAYS__B__CONNECTION__TYPE: 'oracle',
        SLUICE__GATEWAYS__C__CONNECTION__TYPE: 'postgres',
        SLUICE__GATEWAYS__C__CONNECTION__PORT: '5432x',
        SLUICE__GATEWAYS__C__CONNECTION__PASSWORD: 'hunter2',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProjectError);
    expect((caught as ProjectError).message).toBe(
      [
        '$SLUICE__GATEWAYS__A__CONNECTION__HOST: the connection of gateway a has no type (expected duckdb or postgres)',
        "$SLUICE__GATEWAYS__B__CONNECTION__TYPE: connection type 'oracle' of gateway b is not supported by sluice (expected duckdb or postgres) (oracle)",
        '$SLUICE__GATEWAYS__C__CONNECTION__PORT: gateways.c.connection.port: must be an integer, got "5432x"',
      ].join('\n'),
    );
    expect((caught as ProjectError).message).not.toContain('hunter2');
  });
});
