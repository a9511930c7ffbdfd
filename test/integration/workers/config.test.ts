import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readWorkerConfig, type WorkerRole } from '../../../workers/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-worker-config-'));
const CERT = join(dir, 'client.pem');
const KEY = join(dir, 'client.key');
const CA = join(dir, 'ca.pem');
writeFileSync(CERT, '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n');
writeFileSync(KEY, '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n');
writeFileSync(CA, '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n');

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const PASSWORD = 'pa55-w0rd-never-shown';

const WAREHOUSE = {
  SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__TYPE: 'postgres',
  SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__HOST: 'db.internal',
  SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__DATABASE: 'analytics',
  SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__USER: 'sluice',
  SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PASSWORD: PASSWORD,
};

const host = { hostname: 'exec-host', pid: 4321, cwd: dir };

function read(role: WorkerRole, env: Record<string, string>) {
  return readWorkerConfig(role, env, host);
}

function failure(role: WorkerRole, env: Record<string, string>): string {
  try {
    read(role, env);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('worker configuration from the environment', () => {
  it('uses the defaults for a local executor', () => {
    const config = read('run', WAREHOUSE);
    expect(config).toEqual({
      role: 'run',
      temporal: { address: '127.0.0.1:7233', namespace: 'default' },
      identity: 'run@exec-host:4321',
      shutdownGraceMs: 30_000,
      gateways: {
        warehouse: {
          connection: {
            type: 'postgres',
            host: 'db.internal',
            database: 'analytics',
            user: 'sluice',
            password: PASSWORD,
          },
        },
      },
      defaultGateway: 'warehouse',
      baseDir: dir,
      presenceIntervalMs: 15_000,
    });
  });

  it('reads the Temporal address, namespace, identity and grace time', () => {
    const config = read('apply', {
      ...WAREHOUSE,
      TEMPORAL_ADDRESS: 'temporal.internal:7934',
      TEMPORAL_NAMESPACE: 'data-prod',
      SLUICE_EXECUTOR_IDENTITY: 'apply-eu-1',
      SLUICE_SHUTDOWN_GRACE: '2m',
    });
    expect(config.temporal).toEqual({ address: 'temporal.internal:7934', namespace: 'data-prod' });
    expect(config.identity).toBe('apply-eu-1');
    expect(config.shutdownGraceMs).toBe(120_000);
    expect(read('run', { ...WAREHOUSE, TEMPORAL_ADDRESS: '[::1]:7233' }).temporal.address).toBe('[::1]:7233');
    for (const [value, ms] of [
      ['45s', 45_000],
      ['500ms', 500],
      ['10', 10_000],
      ['1.5h', 5_400_000],
    ] as const) {
      expect(read('run', { ...WAREHOUSE, SLUICE_SHUTDOWN_GRACE: value }).shutdownGraceMs).toBe(ms);
    }
  });

  it('names the variable and value of a bad setting', () => {
    expect(failure('run', { ...WAREHOUSE, TEMPORAL_ADDRESS: 'temporal.internal' })).toBe(
      'TEMPORAL_ADDRESS: expected host:port, e.g. 127.0.0.1:7233, got "temporal.internal"',
    );
    expect(failure('run', { ...WAREHOUSE, TEMPORAL_ADDRESS: 'temporal:99999' })).toContain(
      'TEMPORAL_ADDRESS: expected host:port, e.g. 127.0.0.1:7233, got "temporal:99999"',
    );
    expect(failure('run', { ...WAREHOUSE, TEMPORAL_NAMESPACE: 'my namespace' })).toMatch(
      /^TEMPORAL_NAMESPACE: expected a namespace of .*, got "my namespace"$/,
    );
    expect(failure('run', { ...WAREHOUSE, SLUICE_SHUTDOWN_GRACE: 'soon' })).toBe(
      'SLUICE_SHUTDOWN_GRACE: expected a duration such as 30s, 2m, 1h or 500ms, got "soon"',
    );
    expect(failure('run', { ...WAREHOUSE, SLUICE_EXECUTOR_IDENTITY: ' ' })).toBe(
      'SLUICE_EXECUTOR_IDENTITY: expected 1 to 200 printable characters, got " "',
    );
    expect(failure('cron' as WorkerRole, WAREHOUSE)).toBe(
      'unknown worker role "cron"; expected one of scheduler, run, apply',
    );
  });

  it('reads mTLS files, and refuses half a pair, missing files and inline keys', () => {
    const config = read('run', {
      ...WAREHOUSE,
      TEMPORAL_TLS_CERT: CERT,
      TEMPORAL_TLS_KEY: KEY,
      TEMPORAL_TLS_CA: CA,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    expect(config.temporal.tls?.clientCertPair?.crt.toString()).toContain('client');
    expect(config.temporal.tls?.clientCertPair?.key.toString()).toContain('PRIVATE KEY');
    expect(config.temporal.tls?.serverRootCACertificate?.toString()).toContain('ca');
    expect(config.temporal.tls?.serverNameOverride).toBe('temporal.internal');

    expect(failure('run', { ...WAREHOUSE, TEMPORAL_TLS_CERT: CERT })).toBe(
      'TEMPORAL_TLS_CERT is set but TEMPORAL_TLS_KEY is not: mTLS needs both the certificate and its key',
    );
    const missing = join(dir, 'nope.pem');
    expect(failure('run', { ...WAREHOUSE, TEMPORAL_TLS_CERT: missing, TEMPORAL_TLS_KEY: KEY })).toBe(
      `TEMPORAL_TLS_CERT: expected a readable PEM file (no such file), got "${missing}"`,
    );
    const inline = '-----BEGIN PRIVATE KEY-----\nsecret-key-material\n-----END PRIVATE KEY-----';
    const message = failure('run', { ...WAREHOUSE, TEMPORAL_TLS_CERT: CERT, TEMPORAL_TLS_KEY: inline });
    expect(message).toBe('TEMPORAL_TLS_KEY: expected the path of a PEM file, not the PEM text itself');
    expect(message).not.toContain('secret-key-material');
  });

  it('connects with an API key over TLS and never shows the key', () => {
    const apiKey = 'tmprl-api-key-not-to-be-printed';
    const config = read('run', {
      ...WAREHOUSE,
      TEMPORAL_API_KEY: apiKey,
      TEMPORAL_ADDRESS: 'eu.tmprl.cloud:7233',
    });
    expect(config.temporal).toEqual({
      address: 'eu.tmprl.cloud:7233',
      namespace: 'default',
      tls: {},
      apiKey,
    });
    const message = failure('run', {
      ...WAREHOUSE,
      TEMPORAL_API_KEY: apiKey,
      TEMPORAL_TLS_CERT: CERT,
      TEMPORAL_TLS_KEY: KEY,
    });
    expect(message).toContain('TEMPORAL_API_KEY and TEMPORAL_TLS_CERT are both set');
    expect(message).not.toContain(apiKey);
  });

  it('gives the scheduler a state database and no gateways', () => {
    const config = read('scheduler', {
      ...WAREHOUSE,
      SLUICE_DATABASE_URL: 'postgres://sluice:secret@state.internal/sluice',
    });
    expect(config.databaseUrl).toBe('postgres://sluice:secret@state.internal/sluice');
    expect(config.gateways).toEqual({});
    expect(config.identity).toBe('scheduler@exec-host:4321');
    expect(read('scheduler', {}).databaseUrl).toBeUndefined();
    const message = failure('scheduler', { SLUICE_DATABASE_URL: 'mysql://sluice:hunter2@db/sluice' });
    expect(message).toBe(
      'SLUICE_DATABASE_URL: expected a postgres://, postgresql:// or memory:// URL, got a mysql: URL',
    );
  });

  it('requires an executor to have at least one gateway', () => {
    expect(failure('apply', {})).toMatch(
      /^no gateways configured: an executor needs at least one warehouse connection/,
    );
  });

  it('reads SQLMESH__ variables, with SLUICE__ ones taking precedence', () => {
    const config = read('run', {
      SQLMESH__GATEWAYS__LOCAL__CONNECTION__TYPE: 'duckdb',
      SQLMESH__GATEWAYS__LOCAL__CONNECTION__DATABASE: 'old.duckdb',
      SLUICE__GATEWAYS__LOCAL__CONNECTION__DATABASE: 'warehouse.duckdb',
    });
    expect(config.gateways).toEqual({
      local: { connection: { type: 'duckdb', database: 'warehouse.duckdb' } },
    });
  });

  it('names the variable of a bad gateway setting and never shows the password', () => {
    const badPort = failure('run', { ...WAREHOUSE, SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PORT: 'fifty' });
    expect(badPort).toContain('$SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PORT');
    expect(badPort).not.toContain(PASSWORD);

    const unknown = failure('run', { ...WAREHOUSE, SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__HOSTNAME: 'db' });
    expect(unknown).toMatch(
      /\$SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__HOSTNAME: gateways\.warehouse\.connection\.hostname: unknown setting/,
    );
    expect(unknown).not.toContain(PASSWORD);

    const sslmode = failure('run', {
      ...WAREHOUSE,
      SQLMESH__GATEWAYS__WAREHOUSE__CONNECTION__SSLMODE: 'always',
    });
    expect(sslmode).toBe(
      'invalid gateway configuration: $SQLMESH__GATEWAYS__WAREHOUSE__CONNECTION__SSLMODE: gateways.warehouse.connection.sslmode: must be one of disable, allow, prefer, require, verify-full, got "always"',
    );

    const { SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__HOST: _host, ...withoutHost } = WAREHOUSE;
    expect(failure('run', withoutHost)).toBe(
      'SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__HOST: gateway "warehouse": host: missing',
    );

    const noType = failure('run', { SLUICE__GATEWAYS__LAKE__CONNECTION__DATABASE: 'lake.duckdb' });
    expect(noType).toContain('SLUICE__GATEWAYS__LAKE__CONNECTION');
  });

  it('checks the default gateway against the configured ones', () => {
    const two = {
      ...WAREHOUSE,
      SLUICE__GATEWAYS__LOCAL__CONNECTION__TYPE: 'duckdb',
      SLUICE__GATEWAYS__LOCAL__CONNECTION__DATABASE: 'local.duckdb',
    };
    expect(read('run', two).defaultGateway).toBe('local');
    expect(read('run', { ...two, SLUICE__DEFAULT_GATEWAY: 'WAREHOUSE' }).defaultGateway).toBe('warehouse');
    expect(failure('run', { ...two, SLUICE__DEFAULT_GATEWAY: 'lake' })).toBe(
      'SLUICE__DEFAULT_GATEWAY=lake: not a configured gateway (configured: local, warehouse)',
    );
  });
});

describe('health port, env file and memory limit settings', () => {
  it('serves no health port unless SLUICE_HEALTH_PORT is set, and reads its host and ready timeout', () => {
    const none = read('run', { ...WAREHOUSE, SLUICE_READY_TIMEOUT: '2s', SLUICE_HEALTH_HOST: '127.0.0.1' });
    expect(none.healthPort).toBeUndefined();
    expect(none.healthHost).toBeUndefined();
    expect(none.readyTimeoutMs).toBeUndefined();
    const defaults = read('scheduler', { SLUICE_HEALTH_PORT: '9090' });
    expect([defaults.healthPort, defaults.healthHost, defaults.readyTimeoutMs]).toEqual([
      9090,
      '0.0.0.0',
      5000,
    ]);
    const set = read('apply', {
      ...WAREHOUSE,
      SLUICE_HEALTH_PORT: ' 8081 ',
      SLUICE_HEALTH_HOST: '[::1]',
      SLUICE_READY_TIMEOUT: '1500ms',
    });
    expect([set.healthPort, set.healthHost, set.readyTimeoutMs]).toEqual([8081, '::1', 1500]);
  });

  it('names the variable and value of a bad health setting', () => {
    for (const port of ['0', '65536', 'http', '80.5', '-1']) {
      expect(failure('run', { ...WAREHOUSE, SLUICE_HEALTH_PORT: port })).toBe(
        `SLUICE_HEALTH_PORT: expected a port number 1–65535, got "${port}"`,
      );
    }
    expect(failure('scheduler', { SLUICE_HEALTH_PORT: '9090', SLUICE_HEALTH_HOST: 'my host' })).toBe(
      'SLUICE_HEALTH_HOST: expected a host name or IP address to listen on, e.g. 0.0.0.0 or 127.0.0.1, got "my host"',
    );
    expect(failure('run', { ...WAREHOUSE, SLUICE_READY_TIMEOUT: 'quick' })).toBe(
      'SLUICE_READY_TIMEOUT: expected a duration above zero such as 30s, 2m, 1h or 500ms, got "quick"',
    );
    expect(failure('run', { ...WAREHOUSE, SLUICE_READY_TIMEOUT: '0s' })).toBe(
      'SLUICE_READY_TIMEOUT: expected a duration above zero such as 30s, 2m, 1h or 500ms, got "0s"',
    );
  });

  it('reads the presence interval of executors, a duration above zero', () => {
    expect(read('run', WAREHOUSE).presenceIntervalMs).toBe(15_000);
    expect(read('apply', { ...WAREHOUSE, SLUICE_PRESENCE_INTERVAL: '2s' }).presenceIntervalMs).toBe(2_000);
    expect(read('scheduler', { SLUICE_PRESENCE_INTERVAL: '2s' }).presenceIntervalMs).toBeUndefined();
    expect(failure('run', { ...WAREHOUSE, SLUICE_PRESENCE_INTERVAL: 'often' })).toBe(
      'SLUICE_PRESENCE_INTERVAL: expected a duration above zero such as 30s, 2m, 1h or 500ms, got "often"',
    );
    expect(failure('run', { ...WAREHOUSE, SLUICE_PRESENCE_INTERVAL: '0s' })).toMatch(
      /^SLUICE_PRESENCE_INTERVAL: expected a duration above zero/,
    );
  });

  it('reads SLUICE_MAX_MEMORY_MB as a positive whole number of megabytes', () => {
    expect(read('run', { ...WAREHOUSE, SLUICE_MAX_MEMORY_MB: '2048' }).maxMemoryMb).toBe(2048);
    expect(read('run', WAREHOUSE).maxMemoryMb).toBeUndefined();
    for (const value of ['0', '-5', '1.5', '2GB', 'lots', '9999999999']) {
      expect(failure('apply', { ...WAREHOUSE, SLUICE_MAX_MEMORY_MB: value })).toBe(
        `SLUICE_MAX_MEMORY_MB: expected a positive whole number of megabytes, e.g. 2048, got "${value}"`,
      );
    }
  });

  it('reads gateways from SLUICE_ENV_FILE over the environment, relative to the working directory', () => {
    const file = join(dir, 'warehouse.env');
    writeFileSync(
      file,
      [
        '# rotated by the secret store',
        `export SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PASSWORD="${PASSWORD}-2"`,
        'SQLMESH__GATEWAYS__WAREHOUSE__CONNECTION__HOST=db2.internal',
        'UNRELATED=kept-for-other-tools',
      ].join('\n'),
    );
    const config = read('run', {
      ...WAREHOUSE,
      SLUICE_ENV_FILE: 'warehouse.env',
      SLUICE_ENV_FILE_POLL: '500ms',
    });
    expect(config.envFile).toBe(file);
    expect(config.envFilePollMs).toBe(500);
    expect(config.gateways.warehouse?.connection).toEqual({
      type: 'postgres',
      host: 'db2.internal',
      database: 'analytics',
      user: 'sluice',
      password: `${PASSWORD}-2`,
    });
    // what a reload merges the file over: the process's gateway variables only
    expect(config.gatewayEnv).toEqual(WAREHOUSE);
    expect(read('run', WAREHOUSE).envFile).toBeUndefined();
  });

  it('refuses an env file that is missing, malformed, sets process settings or bad gateways', () => {
    const file = join(dir, 'bad.env');
    expect(failure('run', { ...WAREHOUSE, SLUICE_ENV_FILE: 'nowhere.env' })).toBe(
      `SLUICE_ENV_FILE: ${join(dir, 'nowhere.env')}: cannot read the env file (no such file)`,
    );
    writeFileSync(file, `SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__USER=sluice\n\n${PASSWORD}\n`);
    const malformed = failure('run', { ...WAREHOUSE, SLUICE_ENV_FILE: file });
    expect(malformed).toBe(`SLUICE_ENV_FILE: ${file} line 3: expected KEY=VALUE`);
    writeFileSync(file, 'TEMPORAL_API_KEY=abc\n');
    expect(failure('run', { ...WAREHOUSE, SLUICE_ENV_FILE: file })).toBe(
      `SLUICE_ENV_FILE: ${file} line 1: TEMPORAL_API_KEY: Temporal settings must be set on the process itself, not in the env file`,
    );
    writeFileSync(
      file,
      `SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PORT=fifty\nSLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PASSWORD=${PASSWORD}\n`,
    );
    const badPort = failure('run', { ...WAREHOUSE, SLUICE_ENV_FILE: file });
    expect(badPort).toContain('$SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PORT');
    expect(badPort).not.toContain(PASSWORD);
    expect(failure('run', { ...WAREHOUSE, SLUICE_ENV_FILE: file, SLUICE_ENV_FILE_POLL: 'often' })).toBe(
      'SLUICE_ENV_FILE_POLL: expected a duration above zero such as 30s, 2m, 1h or 500ms, got "often"',
    );
  });
});
