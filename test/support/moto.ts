/**
 * A real S3-compatible server for the S3 artifact store's tests: moto's server, installed into
 * .tools/moto by `npm run setup` (scripts/install-moto.mjs), started on a free port. Without it the
 * tests fail, saying how to install it: they never skip.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.ts';
import { waitFor } from './waiting.ts';

export const MOTO_DIR = fileURLToPath(new URL('../../.tools/moto', import.meta.url));

/** Fails, saying how to install it, when the pinned moto server is missing: the S3 tests never skip. */
export function requireMoto(): void {
  if (!existsSync(`${MOTO_DIR}/moto/server.py`)) {
    throw new Error(`moto is not installed in ${MOTO_DIR}: run \`npm run setup\` (scripts/install-moto.mjs)`);
  }
}

export interface MotoServer {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startMoto(): Promise<MotoServer> {
  const port = await freePort();
  const child: ChildProcess = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    env: { PATH: process.env.PATH ?? '', PYTHONPATH: MOTO_DIR },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr = `${stderr}${chunk}`.slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      `moto to listen on ${endpoint}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`moto exited with ${child.exitCode}: ${stderr}`);
        return fetch(`${endpoint}/moto-api/`).then(
          (r) => (r.ok ? true : undefined),
          () => undefined,
        );
      },
      60_000,
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    endpoint,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
