/**
 * The CLI refuses a bad range, name or count before it calls the API, by the checks the API and
 * the workflows use: run against an API address where nothing listens, each command exits 2 with
 * the check's one line, never with a connection error.
 */
import { spawn } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));

let apiUrl: string;

beforeAll(async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  apiUrl = `http://127.0.0.1:${port}`;
});

function sluice(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH ?? '', SLUICE_API_URL: apiUrl, SLUICE_TOKEN: 'unused' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the CLI checks its input before it calls the API', () => {
  it.each([
    [
      ['restate', '--select-model', 'shop.orders', '--start=-99999999999999', '--end=-1'],
      'sluice: --start (-99999999999999) is out of range: give a time from 1900-01-01T00:00:00.000Z to +010000-01-01T00:00:00.000Z\n',
    ],
    [
      ['restate', '--select-model', 'shop.orders', '--start', '2024-01-08', '--end', '2024-01-01'],
      'sluice: --end (2024-01-02T00:00:00.000Z) must be after --start (2024-01-08T00:00:00.000Z)\n',
    ],
    [
      ['restate', '--select-model', 'shop.orders', '--start', '9000-01-01', '--end', '9000-01-02'],
      /^sluice: --start \(9000-01-01T00:00:00\.000Z\) must be before now \([^)]*\): nothing after now has run yet\n$/,
    ],
    [
      ['restate', '--select-model', 'shop.orders', '--start', 'soon', '--end', '2024-01-02'],
      /^sluice: --start "soon" is not a time: use /,
    ],
    [
      ['restate', '--select-model', 'orders', '--start', '2024-01-01', '--end', '2024-01-02'],
      'sluice: --select-model "orders" is not a model name: use schema.table (two non-empty parts)\n',
    ],
    [
      ['run', 'Prod'],
      'sluice: environment: invalid environment name "Prod": use lower-case letters, digits and _, starting with a letter\n',
    ],
    [['runs', '--limit', '0'], 'sluice: --limit must be a whole number from 1 to 500 (got 0)\n'],
    [['runs', '--limit', 'all'], 'sluice: --limit must be a whole number from 1 to 500 (got "all")\n'],
  ])('sluice %j', async (args, stderr) => {
    const r = await sluice(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    if (typeof stderr === 'string') expect(r.stderr).toBe(stderr);
    else expect(r.stderr).toMatch(stderr);
  });
});
