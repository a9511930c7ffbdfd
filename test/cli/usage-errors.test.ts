/**
 * Bad usage of any command, the program's own included, is one line on stderr naming what was wrong
 * and where to look, with exit code 2; an unknown command gets the nearest one as a suggestion.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));

function sluice(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('sluice usage errors', () => {
  it('suggests the nearest command for an unknown one', () => {
    expect(sluice('plna')).toEqual({
      code: 2,
      stdout: '',
      stderr: "sluice: unknown command 'plna' (did you mean plan?); see sluice --help\n",
    });
  });

  it("names the command whose option is unknown, for commands that don't talk to the API too", () => {
    expect(sluice('validate', '--bogus')).toEqual({
      code: 2,
      stdout: '',
      stderr: "sluice: unknown option '--bogus'; see sluice validate --help\n",
    });
    expect(sluice('token', 'bogus')).toMatchObject({
      code: 2,
      stderr: "sluice: unknown command 'bogus'; see sluice token --help\n",
    });
  });

  it('still prints help on request, with exit code 0', () => {
    const help = sluice('validate', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: sluice validate \[options\]/);
  });
});
