/**
 * Reading SLUICE_ENCRYPTION_KEY: an executor that has it may start without gateways of its own; the
 * API reads it with SLUICE_CONNECTION_TEST_TIMEOUT; a bad value names the variable, never the key.
 */
import { describe, expect, it } from 'vitest';
import { connectionOptionsOf } from '../../../api/connection-options.ts';
import { ConfigurationError } from '../../../config/configuration-error.ts';
import { readConfig } from '../../../config/read.ts';
import { readWorkerConfig } from '../../../workers/config.ts';
import { KEYS } from './support.ts';

const KEY_MATERIAL = KEYS.k1.slice('k1:'.length);

function failure(read: () => unknown): Error {
  try {
    read();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a configuration error');
}

describe('executor configuration', () => {
  it('starts an executor with no gateways of its own when it holds the encryption key', () => {
    const config = readWorkerConfig('apply', { SLUICE_ENCRYPTION_KEY: KEYS.k1 }, { hostname: 'h', pid: 1 });
    expect(config.gateways).toEqual({});
    expect(config.defaultGateway).toBeUndefined();
    expect(config.encryption?.current.id).toBe('k1');
    const rotating = readWorkerConfig('run', {
      SLUICE_ENCRYPTION_KEY: KEYS.k2,
      SLUICE_ENCRYPTION_KEY_PREVIOUS: KEYS.k1,
      SLUICE__GATEWAYS__LOCAL__CONNECTION__TYPE: 'duckdb',
    });
    expect([...rotating.encryption!.keys.keys()].sort()).toEqual(['k1', 'k2']);
    expect(Object.keys(rotating.gateways)).toEqual(['local']);
  });

  it('still refuses an executor with neither gateways nor a key, saying what would do', () => {
    const error = failure(() => readWorkerConfig('run', {}));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(
      /^no gateways configured: an executor needs at least one warehouse connection/,
    );
    expect(error.message).toContain(
      'or SLUICE_ENCRYPTION_KEY to use the connections stored with `sluice connections add`',
    );
  });

  it('refuses a malformed key naming the variable and not the value', () => {
    const error = failure(() =>
      readWorkerConfig('apply', { SLUICE_ENCRYPTION_KEY: `${KEY_MATERIAL.slice(0, 20)}` }),
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(/^SLUICE_ENCRYPTION_KEY: expected a 32-byte key/);
    expect(error.message).not.toContain(KEY_MATERIAL.slice(0, 20));
    const previousOnly = failure(() =>
      readWorkerConfig('apply', { SLUICE_ENCRYPTION_KEY_PREVIOUS: KEYS.k1 }),
    );
    expect(previousOnly.message).toBe(
      'SLUICE_ENCRYPTION_KEY_PREVIOUS is set but SLUICE_ENCRYPTION_KEY is not: set the current key too',
    );
    expect(previousOnly.message).not.toContain(KEY_MATERIAL);
  });
});

describe('API connection options', () => {
  const connectionOptionsFromEnv = (env: Record<string, string>) =>
    connectionOptionsOf(readConfig('api', env));

  it('reads the key and the test timeout', () => {
    expect(connectionOptionsFromEnv({})).toEqual({ connectionTestTimeoutMs: 30_000 });
    const options = connectionOptionsFromEnv({
      SLUICE_ENCRYPTION_KEY: KEYS.k1,
      SLUICE_CONNECTION_TEST_TIMEOUT: '2m',
    });
    expect(options.encryption?.current.id).toBe('k1');
    expect(options.connectionTestTimeoutMs).toBe(120_000);
  });

  it('refuses a bad timeout or key naming the variable', () => {
    expect(failure(() => connectionOptionsFromEnv({ SLUICE_CONNECTION_TEST_TIMEOUT: 'soon' })).message).toBe(
      'SLUICE_CONNECTION_TEST_TIMEOUT: expected a duration above zero such as 30s, 2m, 1h or 500ms, got "soon"',
    );
    expect(failure(() => connectionOptionsFromEnv({ SLUICE_CONNECTION_TEST_TIMEOUT: '0s' })).message).toBe(
      'SLUICE_CONNECTION_TEST_TIMEOUT: expected a duration above zero such as 30s, 2m, 1h or 500ms, got "0s"',
    );
    const bad = failure(() => connectionOptionsFromEnv({ SLUICE_ENCRYPTION_KEY: 'not a key' }));
    expect(bad).toBeInstanceOf(ConfigurationError);
    expect(bad.message).toMatch(/^SLUICE_ENCRYPTION_KEY: /);
    expect(bad.message).not.toContain('not a key');
  });
});
