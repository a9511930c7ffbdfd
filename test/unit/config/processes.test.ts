import { describe, expect, it } from 'vitest';
import { readConfig } from '../../../config/read.ts';

describe("each process's configuration from its environment", () => {
  it('gives the API its listen address, timings and defaults, and nothing of the executors', () => {
    const config = readConfig('api', {
      SLUICE_API_HOST: '0.0.0.0',
      SLUICE_API_PORT: '9000',
      SLUICE_API_AUTH: 'tokens',
      SLUICE_EXECUTOR_GONE_AFTER: '2m',
      SLUICE_HEALTH_PORT: 'not read by the API',
    });
    expect(config).toMatchObject({
      SLUICE_API_HOST: '0.0.0.0',
      SLUICE_API_PORT: 9000,
      SLUICE_API_AUTH: 'tokens',
      SLUICE_EXECUTOR_GONE_AFTER: 120_000,
      SLUICE_STUCK_AFTER: 3_600_000,
      SLUICE_CONNECTION_TEST_TIMEOUT: 30_000,
      TEMPORAL_NAMESPACE: 'default',
    });
    expect(Object.keys(config)).not.toContain('SLUICE_HEALTH_PORT');
    expect(Object.keys(config)).not.toContain('SLUICE_ENV_FILE');
  });

  it('gives executors their worker settings and no state database', () => {
    const config = readConfig('executor', {
      SLUICE_PRESENCE_INTERVAL: '500ms',
      SLUICE_MAX_MEMORY_MB: '1536',
      SLUICE_DATABASE_URL: 'postgres://never-read',
    });
    expect(config).toMatchObject({
      SLUICE_PRESENCE_INTERVAL: 500,
      SLUICE_MAX_MEMORY_MB: 1536,
      SLUICE_SHUTDOWN_GRACE: 30_000,
      SLUICE_ENV_FILE_POLL: 2_000,
      SLUICE_HEALTH_HOST: '0.0.0.0',
      SLUICE_READY_TIMEOUT: 5_000,
    });
    expect(Object.keys(config)).not.toContain('SLUICE_DATABASE_URL');
  });

  it('gives the scheduler its state database and home, and no gateway settings', () => {
    const config = readConfig('scheduler', {
      SLUICE_DATABASE_URL: 'memory://',
      SLUICE_HOME: ' /srv/sluice ',
    });
    expect(config).toMatchObject({ SLUICE_DATABASE_URL: 'memory://', SLUICE_HOME: '/srv/sluice' });
    expect(Object.keys(config)).not.toContain('SLUICE__DEFAULT_GATEWAY');
  });

  it('gives sluice dev its dev server ports and the API settings', () => {
    expect(readConfig('dev', { SLUICE_TEMPORAL_UI_PORT: '18233' })).toMatchObject({
      SLUICE_TEMPORAL_PORT: 7233,
      SLUICE_TEMPORAL_UI_PORT: 18_233,
      SLUICE_API_PORT: 8787,
      TEMPORAL_ADDRESS: undefined,
    });
  });

  it('gives the CLI the API URL, token and poll interval', () => {
    expect(readConfig('cli', { SLUICE_TOKEN: 'abc', SLUICE_POLL_MS: '50' })).toEqual({
      SLUICE_API_URL: 'http://127.0.0.1:8787',
      SLUICE_TOKEN: 'abc',
      SLUICE_POLL_MS: 50,
    });
  });

  it('gives the codec server its address, origins and payload keys', () => {
    expect(readConfig('codec', { SLUICE_CODEC_PORT: '0', SLUICE_PAYLOAD_KEY: 'k' })).toEqual({
      SLUICE_PAYLOAD_KEY: 'k',
      SLUICE_PAYLOAD_KEY_PREVIOUS: undefined,
      SLUICE_CODEC_HOST: '127.0.0.1',
      SLUICE_CODEC_PORT: 0,
      SLUICE_CODEC_CORS_ORIGINS: ['http://localhost:8233', 'http://127.0.0.1:8233'],
    });
  });

  it('stops at a bad value of a variable the process reads', () => {
    expect(() => readConfig('api', { SLUICE_STUCK_AFTER: 'later' })).toThrow(
      'SLUICE_STUCK_AFTER: expected a duration such as 30s, 2m, 1h or 500ms, got "later"',
    );
  });
});
