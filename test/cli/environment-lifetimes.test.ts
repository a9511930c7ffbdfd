/**
 * The CLI refuses a bad `--ttl`, and a TTL for prod, before it loads the project or calls the API:
 * one line naming the value, exit code 2.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));

function sluice(...args: string[]) {
  // nothing listens there: a command that got as far as the API would say so instead
  const env = { ...process.env, SLUICE_API_URL: 'http://127.0.0.1:9' };
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('sluice plan --ttl', () => {
  it.each(['soon', '3', '0d', '1.5d', '2y'])('refuses --ttl %s naming it', (ttl) => {
    const r = sluice('plan', 'dev', '--ttl', ttl, '--project', '/nonexistent');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--ttl: ${JSON.stringify(ttl)} is not an environment TTL`);
  });

  it('refuses a TTL for prod', () => {
    const r = sluice('plan', 'prod', '--ttl', '3d', '--project', '/nonexistent');
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toContain('--ttl: prod never expires');
  });
});
