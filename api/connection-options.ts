/**
 * The API's settings for scheduler-managed connections, from its configuration: the keyring that
 * seals them (`SLUICE_ENCRYPTION_KEY`, older keys in `SLUICE_ENCRYPTION_KEY_PREVIOUS`) and how long a
 * connection test waits for an apply executor (`SLUICE_CONNECTION_TEST_TIMEOUT`, 30 s). Errors name
 * the variable, never a key.
 */
import { ConfigurationError } from '../config/configuration-error.ts';
import type { Values } from '../config/variables.ts';
import { type Keyring, KeyringError, readKeyring } from '../crypto/keyring.ts';

export interface ConnectionOptions {
  encryption?: Keyring;
  connectionTestTimeoutMs: number;
}

export function connectionOptionsOf(
  values: Values<
    'SLUICE_ENCRYPTION_KEY' | 'SLUICE_ENCRYPTION_KEY_PREVIOUS' | 'SLUICE_CONNECTION_TEST_TIMEOUT'
  >,
): ConnectionOptions {
  const encryption = encryptionKeyring(values);
  const connectionTestTimeoutMs = values.SLUICE_CONNECTION_TEST_TIMEOUT;
  return encryption === undefined ? { connectionTestTimeoutMs } : { encryption, connectionTestTimeoutMs };
}

/** SLUICE_ENCRYPTION_KEY and SLUICE_ENCRYPTION_KEY_PREVIOUS, for the API and the executors. */
export function encryptionKeyring(
  values: Values<'SLUICE_ENCRYPTION_KEY' | 'SLUICE_ENCRYPTION_KEY_PREVIOUS'>,
): Keyring | undefined {
  try {
    return readKeyring(
      {
        SLUICE_ENCRYPTION_KEY: values.SLUICE_ENCRYPTION_KEY,
        SLUICE_ENCRYPTION_KEY_PREVIOUS: values.SLUICE_ENCRYPTION_KEY_PREVIOUS,
      },
      'SLUICE_ENCRYPTION_KEY',
    );
  } catch (error) {
    if (error instanceof KeyringError) throw new ConfigurationError(error.message);
    throw error;
  }
}
