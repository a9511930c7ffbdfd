/**
 * What a short command loads: `sluice --help` and an API command load neither Temporal's worker, nor
 * the state database's drivers, nor a warehouse engine. Those cost seconds to import and are loaded
 * by the commands that use them (dev, worker, api) when they run. The modules are recorded by a
 * resolve hook in the spawned process, whichever way bin/sluice.js runs the CLI (build or sources).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';

const BIN = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));
const HEAVY = [
  '@temporalio/worker',
  'drizzle-orm',
  '@duckdb/',
  '@electric-sql/pglite',
  '/node_modules/postgres/',
];

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-imports-'));
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.MODULE_LOG, resolved.url + '\\n');
  return resolved;
}
`,
  );
  writeFileSync(
    join(dir, 'register.mjs'),
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`,
  );
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function modulesLoadedBy(args: string[], env: Record<string, string> = {}) {
  const log = join(dir, `${args.join('-').replace(/\W/g, '')}.log`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', join(dir, 'register.mjs'), BIN, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', MODULE_LOG: log, ...env },
  });
  return { code: r.status, stderr: r.stderr, modules: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

describe('modules a short command loads', () => {
  it('sluice --help loads the commands, none of the heavy packages', () => {
    const { code, modules } = modulesLoadedBy(['--help']);
    expect(code).toBe(0);
    // the hook sees the CLI's own modules, so an empty list cannot pass for a clean one
    expect(modules.some((url) => /\/cli\/main\.(js|ts)$/.test(url))).toBe(true);
    expect(modules.some((url) => url.includes('/node_modules/commander/'))).toBe(true);
    for (const heavy of HEAVY)
      expect(
        modules.filter((url) => url.includes(heavy)),
        heavy,
      ).toEqual([]);
  });

  it('sluice runs against a stopped API loads its settings and client, none of the heavy packages', async () => {
    const { code, stderr, modules } = modulesLoadedBy(['runs'], {
      SLUICE_API_URL: `http://127.0.0.1:${await freePort()}`,
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/cannot reach the sluice API/);
    expect(modules.some((url) => /\/config\/read\.(js|ts)$/.test(url))).toBe(true);
    for (const heavy of HEAVY)
      expect(
        modules.filter((url) => url.includes(heavy)),
        heavy,
      ).toEqual([]);
  });
});
