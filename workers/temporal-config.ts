/**
 * The Temporal connection settings, the same for every process that talks to Temporal (workers,
 * `sluice api`, `sluice dev`): address and namespace, mTLS files or an API key, and the payload
 * codec of SLUICE_PAYLOAD_KEY. The variables are declared in config/variables.ts; reading the PEM
 * files and building the codec happens here.
 */
import { readFileSync } from 'node:fs';
import type { PayloadCodec } from '@temporalio/common';
import { ConfigurationError, invalidValue } from '../config/configuration-error.ts';
import { type Environment, readVariables } from '../config/read.ts';
import { DEFAULT_TEMPORAL_ADDRESS, type Values } from '../config/variables.ts';
import { KeyringError } from '../crypto/keyring.ts';
import { payloadCodecFromEnv } from '../crypto/payload-codec.ts';

export interface TemporalTls {
  /** the client certificate and key (mTLS). */
  clientCertPair?: { crt: Buffer; key: Buffer };
  serverRootCACertificate?: Buffer;
  serverNameOverride?: string;
}

export interface TemporalConfig {
  address: string;
  namespace: string;
  /** undefined for a plain connection. */
  tls?: TemporalTls;
  apiKey?: string;
  /** set when SLUICE_PAYLOAD_KEY is: every client and worker encrypts payloads with it. */
  payloadCodec?: PayloadCodec;
}

/** The variables a Temporal connection is made from, in every process that talks to Temporal. */
export const TEMPORAL_VARIABLES = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_TLS_CERT',
  'TEMPORAL_TLS_KEY',
  'TEMPORAL_TLS_CA',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_API_KEY',
  'SLUICE_PAYLOAD_KEY',
  'SLUICE_PAYLOAD_KEY_PREVIOUS',
] as const;

export type TemporalValues = Values<(typeof TEMPORAL_VARIABLES)[number]>;

/** The Temporal connection settings from an environment (see `temporalConfig`). */
export function readTemporalConfig(env: Environment): TemporalConfig {
  return temporalConfig(readVariables(TEMPORAL_VARIABLES, env));
}

/** The Temporal connection settings, for every kind of process (workers, API, CLI, `sluice dev`). */
export function temporalConfig(values: TemporalValues): TemporalConfig {
  const address = values.TEMPORAL_ADDRESS ?? DEFAULT_TEMPORAL_ADDRESS;
  const namespace = values.TEMPORAL_NAMESPACE;
  const config: TemporalConfig = { address, namespace };
  const cert = values.TEMPORAL_TLS_CERT;
  const key = values.TEMPORAL_TLS_KEY;
  const ca = values.TEMPORAL_TLS_CA;
  const serverName = values.TEMPORAL_TLS_SERVER_NAME;
  const apiKey = values.TEMPORAL_API_KEY;
  if ((cert === undefined) !== (key === undefined)) {
    const [set, missing] =
      cert === undefined
        ? ['TEMPORAL_TLS_KEY', 'TEMPORAL_TLS_CERT']
        : ['TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY'];
    throw new ConfigurationError(
      `${set} is set but ${missing} is not: mTLS needs both the certificate and its key`,
    );
  }
  if (apiKey !== undefined && cert !== undefined) {
    throw new ConfigurationError(
      'TEMPORAL_API_KEY and TEMPORAL_TLS_CERT are both set: authenticate with either an API key or a client certificate',
    );
  }
  if (
    cert !== undefined ||
    key !== undefined ||
    ca !== undefined ||
    serverName !== undefined ||
    apiKey !== undefined
  ) {
    const tls: TemporalTls = {};
    if (cert !== undefined && key !== undefined) {
      tls.clientCertPair = { crt: readPem('TEMPORAL_TLS_CERT', cert), key: readPem('TEMPORAL_TLS_KEY', key) };
    }
    if (ca !== undefined) tls.serverRootCACertificate = readPem('TEMPORAL_TLS_CA', ca);
    if (serverName !== undefined) tls.serverNameOverride = serverName;
    config.tls = tls;
  }
  if (apiKey !== undefined) config.apiKey = apiKey;
  try {
    const payloadCodec = payloadCodecFromEnv({
      SLUICE_PAYLOAD_KEY: values.SLUICE_PAYLOAD_KEY,
      SLUICE_PAYLOAD_KEY_PREVIOUS: values.SLUICE_PAYLOAD_KEY_PREVIOUS,
    });
    if (payloadCodec !== undefined) config.payloadCodec = payloadCodec;
  } catch (error) {
    if (error instanceof KeyringError) throw new ConfigurationError(error.message);
    throw error;
  }
  return config;
}

function readPem(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw invalidValue(variable, `expected a readable PEM file (${reason})`, path);
  }
}
