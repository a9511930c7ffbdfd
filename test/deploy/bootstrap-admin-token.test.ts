/**
 * deploy/bootstrap-admin-token.sh, the one-shot that makes the first admin token for an API that
 * listens on 0.0.0.0 (the Compose service sluice-bootstrap, the Kubernetes Job): run for real against
 * a scratch state database on the test PostgreSQL. It makes one working admin token, does nothing
 * once tokens exist, and leaves no token file behind when it fails.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, type ScratchDatabase } from '../integration/state/harness.ts';
import { freePort } from '../support/ports.ts';
import { REPO_ROOT } from './support/manifests.ts';

interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: Record<string, string>): Promise<Finished> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir(), ...env },
        timeout: 150_000,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('deploy/bootstrap-admin-token.sh', () => {
  let database: ScratchDatabase;
  let dir: string;
  let env: Record<string, string>;
  const tokenFile = () => join(dir, 'admin-token');

  beforeAll(async () => {
    database = await createScratchDatabase('bootstrap');
    dir = mkdtempSync(join(tmpdir(), 'sluice-bootstrap-'));
    env = {
      SLUICE_DATABASE_URL: database.url,
      // nothing listens there: the API starts anyway (Temporal is reached lazily) and reports it
      TEMPORAL_ADDRESS: '127.0.0.1:9',
      // what the containers set: the script must still bind loopback and decide auth itself
      SLUICE_API_HOST: '0.0.0.0',
      SLUICE_API_AUTH: 'tokens',
      SLUICE_BOOTSTRAP_TOKEN_FILE: tokenFile(),
    };
  });

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await database.drop();
  });

  it('makes one admin token, readable only by its owner, that the API then requires', async () => {
    const first = await run('sh', ['deploy/bootstrap-admin-token.sh'], {
      ...env,
      SLUICE_BOOTSTRAP_PORT: String(await freePort()),
    });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain(`written to ${tokenFile()}`);
    const token = readFileSync(tokenFile(), 'utf8').trim();
    expect(token.length).toBeGreaterThan(20);
    expect(first.stdout + first.stderr).not.toContain(token);
    expect(statSync(tokenFile()).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['admin-token']);

    // an API on loopback now runs with auth on: the token is needed, and it is an admin's
    const port = String(await freePort());
    const api = execFile(process.execPath, ['bin/sluice.js', 'api', '--host', '127.0.0.1', '--port', port], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: tmpdir(),
        SLUICE_DATABASE_URL: database.url,
        TEMPORAL_ADDRESS: '127.0.0.1:9',
      },
    });
    try {
      const url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 60_000;
      let health: { auth?: string } = {};
      while (health.auth === undefined) {
        if (Date.now() > deadline) throw new Error('the API did not answer within 60 s');
        health = await fetch(`${url}/api/health`, { headers: { authorization: `Bearer ${token}` } }).then(
          (r) => r.json() as Promise<{ auth?: string }>,
          async () => {
            await new Promise((resolve) => setTimeout(resolve, 250));
            return {};
          },
        );
      }
      expect(health.auth).toBe('tokens');
      expect((await fetch(`${url}/api/tokens`)).status).toBe(401);
      const listed = await fetch(`${url}/api/tokens`, { headers: { authorization: `Bearer ${token}` } });
      expect(listed.status).toBe(200);
      const body = (await listed.json()) as { items: Array<{ name: string; role: string }> };
      expect(body.items.map((t) => [t.name, t.role])).toEqual([['admin', 'admin']]);
    } finally {
      if (api.exitCode === null && api.signalCode === null) {
        const exited = new Promise((resolve) => api.once('exit', resolve));
        api.kill('SIGTERM');
        await exited;
      }
    }
  });

  it('does nothing when tokens exist already', async () => {
    const before = readFileSync(tokenFile(), 'utf8');
    const again = await run('sh', ['deploy/bootstrap-admin-token.sh'], {
      ...env,
      SLUICE_BOOTSTRAP_PORT: String(await freePort()),
    });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('API tokens exist already: nothing to do');
    expect(readFileSync(tokenFile(), 'utf8')).toBe(before);
    expect(readdirSync(dir)).toEqual(['admin-token']);
  });

  it('fails with the API’s own error and writes nothing when the API cannot start', async () => {
    const target = join(dir, 'never-written');
    const failed = await run('sh', ['deploy/bootstrap-admin-token.sh'], {
      ...env,
      SLUICE_DATABASE_URL: 'mysql://sluice@127.0.0.1/sluice',
      SLUICE_BOOTSTRAP_TOKEN_FILE: target,
      SLUICE_BOOTSTRAP_PORT: String(await freePort()),
    });
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain(
      'SLUICE_DATABASE_URL: expected a postgres://, postgresql:// or memory:// URL',
    );
    expect(failed.stderr).toContain('sluice api stopped before it answered');
    expect(existsSync(target)).toBe(false);
    expect(existsSync(`${target}.tmp`)).toBe(false);
  });
});
