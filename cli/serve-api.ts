/**
 * What `sluice api` runs once its arguments are checked: the state database, a Temporal client and the
 * HTTP API, until SIGINT or SIGTERM. Its own module, so only `sluice api` loads them.
 */
import { Client, Connection } from '@temporalio/client';
import { StartupRefused } from '../api/auth/startup-policy.ts';
import { connectionOptionsOf } from '../api/connection-options.ts';
import type { AuthMode } from '../api/context.ts';
import { apiServerSettings, startApiServer } from '../api/server.ts';
import { artifactStoreOf } from '../artifacts/from-config.ts';
import { readConfig } from '../config/read.ts';
import { dataConverterOf } from '../crypto/payload-codec.ts';
import { createStateDb, sluiceHome, stateDbOptions } from '../db/client.ts';
import { migrate } from '../db/migrate.ts';
import { statePayloadStore } from '../state/stored-payloads.ts';
import { temporalConfig } from '../workers/temporal-config.ts';
import { CliError, EXIT } from './errors.ts';

/** Where and how the API listens, from the command line; the environment's settings otherwise. */
export interface ApiListenOptions {
  host?: string;
  port?: number;
  auth?: AuthMode;
}

export async function serveApi(listen: ApiListenOptions): Promise<void> {
  // every setting is checked before anything is opened; a bad one exits 2 naming its variable
  const config = readConfig('api', process.env);
  const temporal = temporalConfig(config);
  const connectionOptions = connectionOptionsOf(config);
  const state = createStateDb(stateDbOptions(config, process.cwd()));
  await migrate(state.db);
  const dataConverter = dataConverterOf(temporal.payloadCodec, statePayloadStore(state.db));
  const connection = Connection.lazy({
    address: temporal.address,
    ...(temporal.tls === undefined ? {} : { tls: temporal.tls }),
    ...(temporal.apiKey === undefined ? {} : { apiKey: temporal.apiKey }),
  });
  const client = new Client({
    connection,
    namespace: temporal.namespace,
    dataConverter,
  });
  let server: Awaited<ReturnType<typeof startApiServer>>;
  try {
    server = await startApiServer({
      db: state.db,
      client,
      ...apiServerSettings(config),
      ...listen,
      ...connectionOptions,
      artifacts: artifactStoreOf(config, sluiceHome(config.SLUICE_HOME, process.cwd()), process.cwd()),
      ...(temporal.payloadCodec === undefined
        ? {}
        : {
            payloadCodec: { codec: temporal.payloadCodec, corsOrigins: config.SLUICE_CODEC_CORS_ORIGINS },
          }),
    });
  } catch (err) {
    await connection.close().catch(() => {});
    await state.close().catch(() => {});
    if (err instanceof StartupRefused) throw new CliError(err.message, EXIT.invalid);
    throw err;
  }
  process.stdout.write(`sluice api: Temporal at ${temporal.address} (namespace ${temporal.namespace})\n`);
  if (temporal.payloadCodec) {
    process.stdout.write(
      `sluice api: payloads encrypted (SLUICE_PAYLOAD_KEY); Temporal Web UI codec endpoint ${server.url}/api/codec\n`,
    );
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stdout.write('sluice api: stopping\n');
  await server.close();
  await connection.close();
  await state.close();
}
