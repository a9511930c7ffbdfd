import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../config/configuration-error.ts';
import { readVariables } from '../../../config/read.ts';

function rejection(name: Parameters<typeof readVariables>[0][number], value: string): string {
  try {
    readVariables([name], { [name]: value });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).variable).toBe(name);
    return (error as Error).message;
  }
  throw new Error(`expected ${name}=${value} to be refused`);
}

describe('the port parser', () => {
  it('reads 1–65535, and 0 where it picks a free port', () => {
    expect(readVariables(['SLUICE_HEALTH_PORT'], { SLUICE_HEALTH_PORT: ' 9090 ' })).toEqual({
      SLUICE_HEALTH_PORT: 9090,
    });
    expect(readVariables(['SLUICE_API_PORT'], { SLUICE_API_PORT: '0' }).SLUICE_API_PORT).toBe(0);
    expect(readVariables(['SLUICE_API_PORT'], {}).SLUICE_API_PORT).toBe(8787);
  });

  it('names the variable, the range and the value it refused', () => {
    for (const value of ['x', '0', '65536', '80.5', '-1', '1e3']) {
      expect(rejection('SLUICE_TEMPORAL_PORT', value)).toBe(
        `SLUICE_TEMPORAL_PORT: expected a port number 1–65535, got "${value}"`,
      );
    }
    expect(rejection('SLUICE_API_PORT', 'x')).toBe(
      'SLUICE_API_PORT: expected a port number 0–65535 (0 picks a free port), got "x"',
    );
  });
});

describe('the duration parser', () => {
  it('reads ms, s, m, h and plain seconds', () => {
    for (const [value, ms] of [
      ['45s', 45_000],
      ['500ms', 500],
      ['10', 10_000],
      ['1.5h', 5_400_000],
      ['2m', 120_000],
    ] as const) {
      expect(
        readVariables(['SLUICE_READY_TIMEOUT'], { SLUICE_READY_TIMEOUT: value }).SLUICE_READY_TIMEOUT,
      ).toBe(ms);
    }
    expect(
      readVariables(['SLUICE_SHUTDOWN_GRACE'], { SLUICE_SHUTDOWN_GRACE: '0s' }).SLUICE_SHUTDOWN_GRACE,
    ).toBe(0);
  });

  it('refuses text and, where it must be above zero, zero', () => {
    expect(rejection('SLUICE_SHUTDOWN_GRACE', 'soon')).toBe(
      'SLUICE_SHUTDOWN_GRACE: expected a duration such as 30s, 2m, 1h or 500ms, got "soon"',
    );
    for (const value of ['0', '0s', 'quick', '-5s', '5 days']) {
      expect(rejection('SLUICE_EXECUTOR_GONE_AFTER', value)).toBe(
        `SLUICE_EXECUTOR_GONE_AFTER: expected a duration above zero such as 30s, 2m, 1h or 500ms, got "${value}"`,
      );
    }
  });
});

describe('the database URL validator', () => {
  it('accepts postgres://, postgresql:// and memory://', () => {
    for (const url of ['postgres://u:p@h/db', 'postgresql://h/db', 'memory://']) {
      expect(readVariables(['SLUICE_DATABASE_URL'], { SLUICE_DATABASE_URL: url }).SLUICE_DATABASE_URL).toBe(
        url,
      );
    }
  });

  it('names the scheme of a refused URL, never its password', () => {
    const message = rejection('SLUICE_DATABASE_URL', 'mysql://sluice:hunter2@db/sluice');
    expect(message).toBe(
      'SLUICE_DATABASE_URL: expected a postgres://, postgresql:// or memory:// URL, got a mysql: URL',
    );
    expect(rejection('SLUICE_TEST_DATABASE_URL', 'hunter2')).toBe(
      'SLUICE_TEST_DATABASE_URL: expected a postgres://, postgresql:// or memory:// URL, got a value that is not a URL',
    );
  });
});

describe('the other value forms', () => {
  it('reads listen hosts, origins, whole numbers and choices', () => {
    const values = readVariables(
      ['SLUICE_HEALTH_HOST', 'SLUICE_CODEC_CORS_ORIGINS', 'SLUICE_MAX_MEMORY_MB', 'SLUICE_API_AUTH'],
      {
        SLUICE_HEALTH_HOST: '[::1]',
        SLUICE_CODEC_CORS_ORIGINS: 'https://temporal.example.com/, http://localhost:8080',
        SLUICE_MAX_MEMORY_MB: '2048',
        SLUICE_API_AUTH: 'OFF',
      },
    );
    expect(values).toEqual({
      SLUICE_HEALTH_HOST: '::1',
      SLUICE_CODEC_CORS_ORIGINS: ['https://temporal.example.com', 'http://localhost:8080'],
      SLUICE_MAX_MEMORY_MB: 2048,
      SLUICE_API_AUTH: 'off',
    });
  });

  it('refuses bad ones with the form they expect', () => {
    expect(rejection('SLUICE_HEALTH_HOST', 'my host')).toBe(
      'SLUICE_HEALTH_HOST: expected a host name or IP address to listen on, e.g. 0.0.0.0 or 127.0.0.1, got "my host"',
    );
    expect(rejection('SLUICE_CODEC_CORS_ORIGINS', '*')).toMatch(
      /^SLUICE_CODEC_CORS_ORIGINS: expected .*\* is refused\), got "\*"$/,
    );
    expect(rejection('SLUICE_CODEC_CORS_ORIGINS', 'http://a.example/path')).toMatch(
      /got "http:\/\/a\.example\/path"$/,
    );
    expect(rejection('SLUICE_MAX_MEMORY_MB', '2GB')).toBe(
      'SLUICE_MAX_MEMORY_MB: expected a positive whole number of megabytes, e.g. 2048, got "2GB"',
    );
    expect(rejection('SLUICE_POLL_MS', 'fast')).toBe(
      'SLUICE_POLL_MS: expected a positive whole number of milliseconds, e.g. 1000, got "fast"',
    );
    expect(rejection('SLUICE_API_AUTH', 'maybe')).toBe(
      'SLUICE_API_AUTH: expected "tokens" or "off", got "maybe"',
    );
    expect(rejection('SLUICE_API_URL', 'localhost:8787')).toBe(
      'SLUICE_API_URL: expected an http:// or https:// URL, e.g. http://127.0.0.1:8787, got "localhost:8787"',
    );
    expect(rejection('TEMPORAL_ADDRESS', 'temporal:99999')).toBe(
      'TEMPORAL_ADDRESS: expected host:port, e.g. 127.0.0.1:7233, got "temporal:99999"',
    );
  });

  it('never shows the value of a secret', () => {
    const inline = '-----BEGIN PRIVATE KEY-----\nsecret-key-material\n-----END PRIVATE KEY-----';
    const message = rejection('TEMPORAL_TLS_KEY', inline);
    expect(message).toBe('TEMPORAL_TLS_KEY: expected the path of a PEM file, not the PEM text itself');
    expect(message).not.toContain('secret-key-material');
  });
});
