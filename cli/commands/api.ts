/**
 * `sluice api`: the HTTP API server. It opens the state database (SLUICE_DATABASE_URL, or the
 * embedded PGlite) and a Temporal client (TEMPORAL_ADDRESS ...), listens on SLUICE_API_HOST and
 * SLUICE_API_PORT, and stops cleanly on SIGINT or SIGTERM. With SLUICE_PAYLOAD_KEY its client encrypts
 * payloads and it serves the Web UI's codec endpoint at /api/codec (api/codec-server.ts).
 */
import { Client, Connection } from '@temporalio/client';
import type { Command } from 'commander';
import { StartupRefused } from '../../api/auth/startup-policy.ts';
import { connectionOptionsOf } from '../../api/connection-options.ts';
import type { AuthMode } from '../../api/context.ts';
import { apiServerSettings, startApiServer } from '../../api/server.ts';
import { artifactStoreOf } from '../../artifacts/from-config.ts';
import { DEFAULT_API_HOST, DEFAULT_API_PORT } from '../../config/defaults.ts';
import { parsePort, portExpectation } from '../../config/port.ts';
import { readConfig } from '../../config/read.ts';
import { dataConverterOf } from '../../crypto/payload-codec.ts';
import { createStateDb, sluiceHome, stateDbOptions } from '../../db/client.ts';
import { migrate } from '../../db/migrate.ts';
import { temporalConfig } from '../../workers/temporal-config.ts';
import { rejectingUsageErrors } from '../api-options.ts';
import { CliError, EXIT } from '../errors.ts';

interface ApiCommandOptions {
  host?: string;
  port?: string;
  auth?: string;
}

export function registerApi(program: Command): void {
  rejectingUsageErrors(program.command('api'))
    .description('start the HTTP API (reference at /api/docs)')
    .option('--host <host>', `address to listen on (SLUICE_API_HOST, default ${DEFAULT_API_HOST})`)
    .option('--port <port>', `port (SLUICE_API_PORT, default ${DEFAULT_API_PORT})`)
    .option(
      '--auth <mode>',
      'tokens or off (off only on loopback; decided from the stored tokens when omitted)',
    )
    .action(async (options: ApiCommandOptions) => {
      if (options.auth !== undefined && options.auth !== 'tokens' && options.auth !== 'off') {
        throw new CliError(`--auth must be tokens or off (got "${options.auth}")`, EXIT.invalid);
      }
      const port = options.port === undefined ? undefined : parsePort(options.port, { allowZero: true });
      if (options.port !== undefined && port === undefined) {
        throw new CliError(
          `--port: ${portExpectation({ allowZero: true })}, got "${options.port}"`,
          EXIT.invalid,
        );
      }
      // every setting is checked before anything is opened; a bad one exits 2 naming its variable
      const config = readConfig('api', process.env);
      const temporal = temporalConfig(config);
      const connectionOptions = connectionOptionsOf(config);
      const dataConverter = dataConverterOf(temporal.payloadCodec);
      const state = createStateDb(stateDbOptions(config, process.cwd()));
      await migrate(state.db);
      const connection = Connection.lazy({
        address: temporal.address,
        ...(temporal.tls === undefined ? {} : { tls: temporal.tls }),
        ...(temporal.apiKey === undefined ? {} : { apiKey: temporal.apiKey }),
      });
      const client = new Client({
        connection,
        namespace: temporal.namespace,
        ...(dataConverter === undefined ? {} : { dataConverter }),
      });
      let server: Awaited<ReturnType<typeof startApiServer>>;
      try {
        server = await startApiServer({
          db: state.db,
          client,
          ...apiServerSettings(config),
          ...(options.host === undefined ? {} : { host: options.host }),
          ...(port === undefined ? {} : { port }),
          ...(options.auth === undefined ? {} : { auth: options.auth as AuthMode }),
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
    });
}
