/**
 * The API's settings for scheduler-managed connections, from the environment: the keyring that
 * seals them (`SLUICE_ENCRYPTION_KEY`, older keys in `SLUICE_ENCRYPTION_KEY_PREVIOUS`) and how long a
 * connection test waits for an apply executor (`SLUICE_CONNECTION_TEST_TIMEOUT`, 30 s). Errors name
 * the variable, never a key (as WorkerConfigError, like the other settings of a process).
 */
import { type Keyring, KeyringError, readKeyring } from '../crypto/keyring.ts';
import { readDuration, WorkerConfigError } from '../workers/config.ts';
import { DEFAULT_CONNECTION_TEST_TIMEOUT_MS } from './connection-test.ts';

export interface ConnectionOptions {
  encryption?: Keyring;
  connectionTestTimeoutMs: number;
}

export function connectionOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): ConnectionOptions {
  let encryption: Keyring | undefined;
  try {
    encryption = readKeyring(env, 'SLUICE_ENCRYPTION_KEY');
  } catch (error) {
    if (error instanceof KeyringError) throw new WorkerConfigError(error.message);
    throw error;
  }
  const connectionTestTimeoutMs = readDuration(
    env,
    'SLUICE_CONNECTION_TEST_TIMEOUT',
    DEFAULT_CONNECTION_TEST_TIMEOUT_MS,
  );
  if (connectionTestTimeoutMs < 1) {
    throw new WorkerConfigError(
      `SLUICE_CONNECTION_TEST_TIMEOUT=${env.SLUICE_CONNECTION_TEST_TIMEOUT}: must be longer than 0`,
    );
  }
  return encryption === undefined ? { connectionTestTimeoutMs } : { encryption, connectionTestTimeoutMs };
}
