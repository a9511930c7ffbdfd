import { describe, expect, it } from 'vitest';
import { parseGatewayConnection } from '../../../engines/config.ts';
import { createEngine } from '../../../engines/create-engine.ts';
import {
  EngineConfigError,
  RetryableEngineError,
  SqlExecutionError,
  UnknownGatewayError,
} from '../../../engines/errors.ts';
import { metadataLimit, toMetadataValue } from '../../../engines/metadata.ts';
import { quoteIdentifier, quoteQualifiedName, splitQualifiedName } from '../../../engines/quote.ts';
import { REDACTED, redactSecrets } from '../../../engines/redact.ts';
import { holdsSeveralStatements } from '../../../engines/several-statements.ts';

const base = { baseDir: '/srv/project' };
const postgresBase = {
  type: 'postgres',
  host: 'db',
  port: 5432,
  user: 'sluice',
  password: 'pw',
  database: 'wh',
};

function configError(gateway: string, connection: Record<string, unknown>): EngineConfigError {
  try {
    parseGatewayConnection(gateway, connection, base);
  } catch (error) {
    expect(error).toBeInstanceOf(EngineConfigError);
    return error as EngineConfigError;
  }
  throw new Error('expected the settings to be rejected');
}

describe('gateway connection settings', () => {
  it('reads a full postgres connection with SQLMesh defaults', () => {
    expect(parseGatewayConnection('warehouse', postgresBase, base)).toEqual({
      type: 'postgres',
      gateway: 'warehouse',
      host: 'db',
      port: 5432,
      database: 'wh',
      user: 'sluice',
      password: 'pw',
      schema: undefined,
      sslmode: 'prefer',
      connectTimeoutSeconds: 10,
      poolSize: 4,
      keepalivesIdleSeconds: undefined,
      role: undefined,
      applicationName: 'sluice',
    });
  });

  it('accepts numeric strings, every setting it uses, and ignores SQLMesh-only keys', () => {
    const settings = parseGatewayConnection(
      'warehouse',
      {
        ...postgresBase,
        port: '6543',
        schema: 'analytics',
        sslmode: 'verify-full',
        connect_timeout: '2.5',
        concurrent_tasks: 8,
        keepalives_idle: 30,
        role: 'loader',
        application_name: 'sluice-run',
        pre_ping: true,
        pretty_sql: false,
        register_comments: true,
      },
      base,
    );
    expect(settings).toMatchObject({
      port: 6543,
      schema: 'analytics',
      sslmode: 'verify-full',
      connectTimeoutSeconds: 2.5,
      poolSize: 8,
      keepalivesIdleSeconds: 30,
      role: 'loader',
      applicationName: 'sluice-run',
    });
  });

  it('reads a YAML number where SQLMesh expects text as that text', () => {
    expect(
      parseGatewayConnection('warehouse', { ...postgresBase, password: 123456, schema: 2024 }, base),
    ).toMatchObject({ password: '123456', schema: '2024' });
  });

  it('names the gateway and key of a bad value', () => {
    expect(configError('warehouse', { ...postgresBase, port: 'abc' }).message).toBe(
      'gateway "warehouse": port: must be an integer, got "abc"',
    );
    expect(configError('warehouse', { ...postgresBase, port: 70000 }).message).toBe(
      'gateway "warehouse": port: must be between 1 and 65535, got 70000',
    );
    const sslmode = configError('warehouse', { ...postgresBase, sslmode: 'verify-ca' });
    expect(sslmode.key).toBe('sslmode');
    expect(sslmode.message).toContain(
      'must be one of disable, allow, prefer, require, verify-full, got "verify-ca"',
    );
    expect(configError('warehouse', { ...postgresBase, concurrent_tasks: 0 }).message).toBe(
      'gateway "warehouse": concurrent_tasks: must be between 1 and 1000, got 0',
    );
    expect(configError('warehouse', { ...postgresBase, connect_timeout: -1 }).message).toBe(
      'gateway "warehouse": connect_timeout: must be a positive number of seconds, got -1',
    );
    expect(configError('warehouse', { ...postgresBase, host: '' }).message).toBe(
      'gateway "warehouse": host: must not be empty',
    );
  });

  it('reports missing required settings', () => {
    const { host: _host, ...withoutHost } = postgresBase;
    const error = configError('warehouse', withoutHost);
    expect(error.key).toBe('host');
    expect(error.message).toBe('gateway "warehouse": host: missing');
  });

  it('never shows a password value, even a malformed one', () => {
    const error = configError('warehouse', { ...postgresBase, password: [987654321] });
    expect(error.message).toBe('gateway "warehouse": password: must be a string');
    expect(error.message).not.toContain('987654321');
  });

  it('rejects unknown types and keys nobody defines', () => {
    expect(configError('lake', { type: 'snowflake' }).message).toBe(
      'gateway "lake": type: unsupported engine type "snowflake"; expected one of duckdb, postgres',
    );
    expect(configError('lake', { database: 'x.db' }).message).toBe(
      'gateway "lake": type: missing; expected one of duckdb, postgres',
    );
    const typo = configError('warehouse', { ...postgresBase, passwrd: 'x' });
    expect(typo.key).toBe('passwrd');
    expect(typo.message).toContain('unknown setting; expected one of host, port, database, user, password');
  });

  it('resolves a relative DuckDB path against the base directory', () => {
    expect(parseGatewayConnection('local', { type: 'duckdb', database: 'data/db.duckdb' }, base)).toEqual({
      type: 'duckdb',
      gateway: 'local',
      database: '/srv/project/data/db.duckdb',
      extensions: [],
      connectorConfig: {},
    });
    expect(parseGatewayConnection('local', { type: 'duckdb', database: '/abs/w.db' }, base)).toMatchObject({
      database: '/abs/w.db',
    });
  });

  it('keeps in-memory DuckDB databases in memory and defaults to one', () => {
    expect(parseGatewayConnection('m', { type: 'duckdb', database: ':memory:' }, base)).toMatchObject({
      database: ':memory:',
    });
    expect(parseGatewayConnection('m', { type: 'duckdb', concurrent_tasks: 4 }, base)).toMatchObject({
      database: ':memory:',
    });
  });

  it('reads DuckDB extensions in every SQLMesh form and connector_config', () => {
    const settings = parseGatewayConnection(
      'local',
      {
        type: 'duckdb',
        extensions: ['json', { name: 'h3', repository: 'community', force_install: true }],
        connector_config: { threads: 2, preserve_insertion_order: false },
      },
      base,
    );
    expect(settings).toMatchObject({
      extensions: [
        { name: 'json', repository: undefined, forceInstall: false },
        { name: 'h3', repository: 'community', forceInstall: true },
      ],
      connectorConfig: { threads: '2', preserve_insertion_order: 'false' },
    });
    expect(
      parseGatewayConnection('local', { type: 'duckdb', extensions: 'json, parquet' }, base),
    ).toMatchObject({
      extensions: [{ name: 'json' }, { name: 'parquet' }],
    });
  });

  it('rejects DuckDB settings sluice cannot honour', () => {
    expect(configError('local', { type: 'duckdb', extensions: ['json; DROP TABLE x'] }).message).toBe(
      'gateway "local": extensions[0]: must be an extension name (letters, digits, _), got "json; DROP TABLE x"',
    );
    expect(configError('local', { type: 'duckdb', catalogs: { other: 'other.db' } }).message).toBe(
      'gateway "local": catalogs: is not supported by sluice for duckdb gateways',
    );
    expect(configError('local', { type: 'duckdb', database: 'md:prod' }).key).toBe('database');
    expect(configError('local', { type: 'duckdb', connector_config: { threads: [1] } }).message).toBe(
      'gateway "local": connector_config.threads: must be a string, number or boolean, got [1]',
    );
    // empty SQLMesh defaults of unsupported features are fine
    expect(parseGatewayConnection('local', { type: 'duckdb', secrets: [], filesystems: [] }, base).type).toBe(
      'duckdb',
    );
  });

  it('validates through createEngine without connecting', () => {
    expect(() => createEngine('warehouse', { ...postgresBase, port: 'abc' } as never, base)).toThrow(
      'gateway "warehouse": port: must be an integer, got "abc"',
    );
    const engine = createEngine(
      'warehouse',
      { ...postgresBase, host: 'unresolvable.invalid' } as never,
      base,
    );
    expect(engine.type).toBe('postgres');
    expect(engine.gateway).toBe('warehouse');
  });
});

describe('secret redaction', () => {
  it('replaces every occurrence of a known secret', () => {
    expect(redactSecrets('auth with s3cr3t! failed; retry s3cr3t!', ['s3cr3t!'])).toBe(
      `auth with ${REDACTED} failed; retry ${REDACTED}`,
    );
  });

  it('replaces the URL-encoded form of a secret', () => {
    expect(redactSecrets('postgres://u@h/db?password=p%40ss%2Fword', ['p@ss/word'])).toBe(
      `postgres://u@h/db?password=${REDACTED}`,
    );
  });

  it('masks credentials in URLs and password pairs even when the secret is unknown', () => {
    expect(redactSecrets('connect postgres://loader:hunter2@db:5432/wh failed', [])).toBe(
      `connect postgres://loader:${REDACTED}@db:5432/wh failed`,
    );
    expect(redactSecrets("host=db password='a b c' user=x", [])).toBe(`host=db password=${REDACTED} user=x`);
    expect(redactSecrets('PASSWORD: hunter2, next', [])).toBe(`PASSWORD: ${REDACTED}, next`);
  });

  it('leaves ordinary text and empty secrets alone', () => {
    const text = 'password authentication failed for user "loader"';
    expect(redactSecrets(text, [''])).toBe(text);
  });

  it('prefers the longest secret when secrets overlap', () => {
    expect(redactSecrets('token abcdef', ['abc', 'abcdef'])).toBe(`token ${REDACTED}`);
  });
});

describe('identifier quoting', () => {
  it('double-quotes and doubles embedded quotes', () => {
    expect(quoteIdentifier('orders')).toBe('"orders"');
    expect(quoteIdentifier('we"ird')).toBe('"we""ird"');
    expect(() => quoteIdentifier('')).toThrow('an identifier cannot be empty');
    expect(() => quoteIdentifier('a\0b')).toThrow('contains a NUL character');
  });

  it('splits and quotes qualified names, honouring quoted parts', () => {
    expect(quoteQualifiedName('sushi.orders')).toBe('"sushi"."orders"');
    expect(quoteQualifiedName('db.sushi.orders')).toBe('"db"."sushi"."orders"');
    expect(splitQualifiedName('"my.schema"."we""ird"')).toEqual(['my.schema', 'we"ird']);
    expect(quoteQualifiedName('"my.schema".t')).toBe('"my.schema"."t"');
  });

  it('rejects malformed qualified names', () => {
    expect(() => splitQualifiedName('a..b')).toThrow('invalid qualified name "a..b": empty part');
    expect(() => splitQualifiedName('a.b.c.d')).toThrow('more than three parts');
    expect(() => splitQualifiedName('"a')).toThrow('unterminated quote');
    expect(() => splitQualifiedName('"a"b')).toThrow('text after a closing quote');
    expect(() => splitQualifiedName('a; drop table x')).toThrow('whitespace outside quotes');
  });
});

describe('engine errors', () => {
  it('builds a SQL error message from label, position and SQLSTATE', () => {
    const error = new SqlExecutionError({
      gateway: 'warehouse',
      engineMessage: 'relation "x" does not exist',
      sqlState: '42P01',
      label: 'sushi.orders',
      statement: 'INSERT INTO x SELECT 1',
      statementIndex: 1,
      hint: 'create it first',
    });
    expect(error.message).toBe(
      'gateway "warehouse": statement 2 for "sushi.orders" failed: relation "x" does not exist (SQLSTATE 42P01)\nHINT: create it first',
    );
    expect(error.code).toBe('SQL_ERROR');
    expect(error.retryable).toBe(false);
    expect(error.name).toBe('SqlExecutionError');
    expect(error.details()).toEqual({
      code: 'SQL_ERROR',
      retryable: false,
      gateway: 'warehouse',
      engineMessage: 'relation "x" does not exist',
      sqlState: '42P01',
      label: 'sushi.orders',
      statement: 'INSERT INTO x SELECT 1',
      statementIndex: 1,
    });
  });

  it('names the missing gateway and the configured ones', () => {
    const error = new UnknownGatewayError('lake', ['local', 'warehouse']);
    expect(error.message).toBe(
      'gateway "lake" is not configured on this executor (configured gateways: "local", "warehouse")',
    );
    expect(error.code).toBe('UNKNOWN_GATEWAY');
    expect(new UnknownGatewayError('lake', []).message).toContain('(configured gateways: none)');
  });

  it('marks retryable errors as such', () => {
    const error = new RetryableEngineError('CONNECTION_LOST', 'lost', 'warehouse');
    expect(error.retryable).toBe(true);
    expect(error.code).toBe('CONNECTION_LOST');
    expect(error.name).toBe('RetryableEngineError');
  });
});

describe('metadata helpers', () => {
  it('reduces driver values to JSON-safe scalars', () => {
    expect(toMetadataValue(12n)).toBe(12);
    expect(toMetadataValue(9223372036854775807n)).toBe('9223372036854775807');
    expect(toMetadataValue(new Date('2024-01-02T03:04:05Z'))).toBe('2024-01-02T03:04:05.000Z');
    expect(toMetadataValue(new Uint8Array([1, 255]))).toBe('01ff');
    expect(toMetadataValue({ a: [1n, 'x'] })).toBe('{"a":[1,"x"]}');
    expect(toMetadataValue(Number.POSITIVE_INFINITY)).toBe('Infinity');
    expect(toMetadataValue(undefined)).toBeNull();
  });

  it('checks and caps row limits', () => {
    expect(metadataLimit(5)).toBe(5);
    expect(metadataLimit(1_000_000)).toBe(10_000);
    expect(() => metadataLimit(0)).toThrow('a metadata read needs a positive integer row limit, got 0');
    expect(() => metadataLimit(1.5)).toThrow('got 1.5');
  });

  it('tells single statements from several', () => {
    expect(holdsSeveralStatements('INSERT INTO t VALUES (1);')).toBe(false);
    expect(holdsSeveralStatements("SELECT ';' AS x -- ; comment")).toBe(false);
    expect(holdsSeveralStatements("DO $$ BEGIN RAISE NOTICE 'a'; END $$")).toBe(false);
    expect(holdsSeveralStatements('INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)')).toBe(true);
  });
});
