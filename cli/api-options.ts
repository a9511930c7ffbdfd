/** The options every command that talks to the API shares: where it is, the token, JSON output. */
import type { Command } from 'commander';
import { DEFAULT_API_URL } from '../config/defaults.ts';
import type { ConfigOf, readConfig } from '../config/read.ts';
import { ApiClient } from './api-client.ts';
import { CliError, EXIT } from './errors.ts';

export interface ApiOptions {
  url?: string;
  token?: string;
  json?: boolean;
}

export function withApiOptions(command: Command, options: { json?: boolean } = { json: true }): Command {
  command
    .option('--url <url>', `sluice API URL (SLUICE_API_URL, default ${DEFAULT_API_URL})`)
    .option('--token <token>', 'API token (SLUICE_TOKEN)');
  if (options.json) command.option('--json', 'print the result as JSON');
  return rejectingUsageErrors(command);
}

/** Usage errors (a missing option, an unknown one) exit 2 with one line, like every rejected input. */
export function rejectingUsageErrors(command: Command): Command {
  return command
    .showHelpAfterError(false)
    .configureOutput({ outputError: () => {} })
    .exitOverride((err) => {
      if (err.exitCode === 0 || err.code === 'commander.help') process.exit(err.exitCode);
      const message = err.message
        .replace(/^error: /, '')
        .replace(/\n\(Did you mean (.+)\?\)$/, ' (did you mean $1?)');
      throw new CliError(
        `${message}; see ${['sluice', commandPath(command)].join(' ').trim()} --help`,
        EXIT.invalid,
      );
    });
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

let config: ConfigOf<'cli'> | undefined;
let readSettings: typeof readConfig | undefined;

/**
 * Loads the settings reader (and the schemas behind it) once a command is about to run: main.ts calls
 * it before every action, so `sluice --help` and usage errors never pay for it.
 */
export async function loadSettingsReader(): Promise<void> {
  readSettings ??= (await import('../config/read.ts')).readConfig;
}

/**
 * The CLI's settings (SLUICE_API_URL, SLUICE_TOKEN, SLUICE_POLL_MS), read from the environment once,
 * by the first command that talks to the API; a bad one exits 2 naming its variable.
 */
export function cliConfig(): ConfigOf<'cli'> {
  if (readSettings === undefined) throw new Error('cliConfig() ran before loadSettingsReader()');
  config ??= readSettings('cli', process.env);
  return config;
}

export function apiClient(options: ApiOptions, settings: ConfigOf<'cli'> = cliConfig()): ApiClient {
  const token = options.token ?? settings.SLUICE_TOKEN;
  return new ApiClient({
    url: options.url ?? settings.SLUICE_API_URL,
    ...(token === undefined ? {} : { token }),
  });
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Collects a repeatable option's values. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export const DEFAULT_ENVIRONMENT = 'prod';
