import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'sluice-init-'));

function sluice(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('sluice init', () => {
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it.each(['duckdb', 'postgres'])('scaffolds a %s project that validates', (dialect) => {
    const dir = join(scratch, dialect);
    const created = sluice('init', dir, '--dialect', dialect);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(readFileSync(join(dir, 'config.yaml'), 'utf8')).toContain(`dialect: ${dialect}`);
    const validated = sluice('validate', '--project', dir);
    expect(validated.stderr).toBe('');
    expect(validated.code).toBe(0);
    expect(validated.stdout).toContain('example.seed_model -> example.incremental_model');
    expect(validated.stdout).toContain('example.incremental_model -> example.full_model');
  });

  it('refuses a folder that already holds a project, and an unknown dialect', () => {
    const dir = join(scratch, 'twice');
    expect(sluice('init', dir).code).toBe(0);
    const again = sluice('init', dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already has a project \(config\.yaml\); choose an empty folder/);
    const bad = sluice('init', join(scratch, 'other'), '--dialect', 'snowflake');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--dialect must be duckdb or postgres (got "snowflake")');
  });
});
