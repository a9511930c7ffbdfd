/**
 * `sluice api`: the HTTP API server. It opens the state database (SLUICE_DATABASE_URL, or the
 * embedded PGlite) and a Temporal client (TEMPORAL_ADDRESS ...), listens on SLUICE_API_HOST and
 * SLUICE_API_PORT, and stops cleanly on SIGINT or SIGTERM. With SLUICE_PAYLOAD_KEY its client encrypts
 * payloads and it serves the Web UI's codec endpoint at /api/codec (api/codec-server.ts).
 */
import type { Command } from 'commander';
import type { AuthMode } from '../../api/context.ts';
import { DEFAULT_API_HOST, DEFAULT_API_PORT } from '../../config/defaults.ts';
import { parsePort, portExpectation } from '../../config/port.ts';
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
      // loaded here so that other commands do not pay for the API, the state database and Temporal's client
      const { serveApi } = await import('../serve-api.ts');
      await serveApi({
        ...(options.host === undefined ? {} : { host: options.host }),
        ...(port === undefined ? {} : { port }),
        ...(options.auth === undefined ? {} : { auth: options.auth as AuthMode }),
      });
    });
}
