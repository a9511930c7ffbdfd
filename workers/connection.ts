/**
 * Connections to Temporal from a worker configuration (workers/temporal-config.ts): the native connection
 * workers poll with, and the client connection that starts, signals and queries workflows. A server
 * that cannot be reached fails with a message naming the address and namespace. The client encrypts
 * payloads when the configuration has a payload codec (SLUICE_PAYLOAD_KEY) and keeps large ones in
 * the payload store it is given (crypto/stored-payload-codec.ts); workers get the same codecs
 * through their own options (scheduler-worker.ts, executor-worker.ts).
 */

import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { dataConverterOf } from '../crypto/payload-codec.ts';
import type { PayloadStore } from '../crypto/stored-payload-codec.ts';
import type { TemporalConfig } from './temporal-config.ts';

export type TemporalConnectionKind = 'worker' | 'client';

export interface TemporalClientConnection {
  connection: Connection;
  client: Client;
}

export async function connectTemporal(config: TemporalConfig, kind: 'worker'): Promise<NativeConnection>;
/** `payloadStore`: where the client keeps and reads large payloads (the state database), if it may. */
export async function connectTemporal(
  config: TemporalConfig,
  kind: 'client',
  payloadStore?: PayloadStore,
): Promise<TemporalClientConnection>;
export async function connectTemporal(
  config: TemporalConfig,
  kind: TemporalConnectionKind,
  payloadStore?: PayloadStore,
): Promise<NativeConnection | TemporalClientConnection> {
  const options = {
    address: config.address,
    ...(config.tls === undefined ? {} : { tls: config.tls }),
    ...(config.apiKey === undefined ? {} : { apiKey: config.apiKey }),
  };
  try {
    if (kind === 'worker') return await NativeConnection.connect(options);
    const connection = await Connection.connect({ ...options, connectTimeout: '10 seconds' });
    return {
      connection,
      client: new Client({
        connection,
        namespace: config.namespace,
        dataConverter: dataConverterOf(config.payloadCodec, payloadStore),
      }),
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `cannot connect to Temporal at ${config.address} (namespace ${config.namespace}${config.tls ? ', TLS' : ''}): ${reason}`,
    );
  }
}
