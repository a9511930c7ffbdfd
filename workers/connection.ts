/**
 * Connections to Temporal from a worker configuration (workers/config.ts): the native connection
 * workers poll with, and the client connection that starts, signals and queries workflows. A server
 * that cannot be reached fails with a message naming the address and namespace.
 */

import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { TemporalConfig } from './config.ts';

export type TemporalConnectionKind = 'worker' | 'client';

export interface TemporalClientConnection {
  connection: Connection;
  client: Client;
}

export async function connectTemporal(config: TemporalConfig, kind: 'worker'): Promise<NativeConnection>;
export async function connectTemporal(
  config: TemporalConfig,
  kind: 'client',
): Promise<TemporalClientConnection>;
export async function connectTemporal(
  config: TemporalConfig,
  kind: TemporalConnectionKind,
): Promise<NativeConnection | TemporalClientConnection> {
  const options = {
    address: config.address,
    ...(config.tls === undefined ? {} : { tls: config.tls }),
    ...(config.apiKey === undefined ? {} : { apiKey: config.apiKey }),
  };
  try {
    if (kind === 'worker') return await NativeConnection.connect(options);
    const connection = await Connection.connect({ ...options, connectTimeout: '10 seconds' });
    return { connection, client: new Client({ connection, namespace: config.namespace }) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `cannot connect to Temporal at ${config.address} (namespace ${config.namespace}${config.tls ? ', TLS' : ''}): ${reason}`,
    );
  }
}
