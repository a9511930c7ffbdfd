import { ConfigurationError } from '../config/configuration-error.ts';

/** Exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  /** the command failed: an error on the server, the warehouse or the environment. */
  failed: 1,
  /** the input was rejected: bad project, bad arguments, bad configuration. */
  invalid: 2,
} as const;

/** A failure the CLI prints as one line on stderr, with the exit code it carries. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function reportAndExit(err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`sluice: ${message}\n`);
  process.exit(
    err instanceof CliError ? err.exitCode : err instanceof ConfigurationError ? EXIT.invalid : EXIT.failed,
  );
}
