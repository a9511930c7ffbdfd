/**
 * `sluice codec-server`: the Temporal Web UI's codec endpoint on its own (api/codec-server.ts), for
 * the machine of someone who holds SLUICE_PAYLOAD_KEY, so they can read encrypted payloads in a Web UI
 * that the server's operators see only as ciphertext. Listens on SLUICE_CODEC_HOST and
 * SLUICE_CODEC_PORT until SIGINT or SIGTERM.
 */
import type { Command } from 'commander';
import { DEFAULT_CODEC_HOST, DEFAULT_CODEC_PORT } from '../../config/defaults.ts';
import { parsePort, portExpectation } from '../../config/port.ts';
import { rejectingUsageErrors } from '../api-options.ts';
import { CliError, EXIT } from '../errors.ts';

interface CodecServerCommandOptions {
  host?: string;
  port?: string;
}

export function registerCodecServer(program: Command): void {
  rejectingUsageErrors(program.command('codec-server'))
    .description(
      'serve the Temporal Web UI codec endpoint (POST /decode, /encode) with SLUICE_PAYLOAD_KEY, so the UI ' +
        'shows encrypted payloads in clear to whoever runs it',
    )
    .option('--host <host>', `address to listen on (SLUICE_CODEC_HOST, default ${DEFAULT_CODEC_HOST})`)
    .option('--port <port>', `port (SLUICE_CODEC_PORT, default ${DEFAULT_CODEC_PORT})`)
    .action(async (options: CodecServerCommandOptions) => {
      const port = options.port === undefined ? undefined : parsePort(options.port, { allowZero: true });
      if (options.port !== undefined && port === undefined) {
        throw new CliError(
          `--port: ${portExpectation({ allowZero: true })}, got "${options.port}"`,
          EXIT.invalid,
        );
      }
      // loaded here so that other commands do not pay for the HTTP server
      const { readCodecServerSettings, startCodecServer } = await import('../../api/codec-server.ts');
      // a bad setting, or a port in use, exits 2 naming its variable (cli/errors.ts)
      const server = await startCodecServer({
        settings: readCodecServerSettings(process.env),
        ...(options.host === undefined ? {} : { host: options.host }),
        ...(port === undefined ? {} : { port }),
      });
      process.stdout.write(
        `sluice codec-server: in the Temporal Web UI, set the codec endpoint to ${server.url}\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      process.stdout.write('sluice codec-server: stopping\n');
      await server.close();
    });
}
