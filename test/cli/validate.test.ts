import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));
const fixture = fileURLToPath(new URL('../fixtures/sqlmesh-init-duckdb', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'sluice-validate-'));

function sluice(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('sluice validate', () => {
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('accepts the project sqlmesh init writes and prints models, crons, edges and next runs', () => {
    const r = sluice('validate', '--project', fixture);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /sqlmesh_example\.incremental_model\s+INCREMENTAL_BY_TIME_RANGE\s+@daily\s+UTC\s+day\s+\d{4}-\d\d-\d\d 00:00:00/,
    );
    expect(r.stdout).toContain('sqlmesh_example.seed_model -> sqlmesh_example.incremental_model');
    expect(r.stdout).toContain('sqlmesh_example.incremental_model -> sqlmesh_example.full_model');
    expect(r.stdout).toContain('config.yaml:37: config section linter is ignored by sluice');
    expect(r.stdout).toContain('Project is valid.');
  });

  it('prints JSON with --json', () => {
    const r = sluice('validate', '--project', fixture, '--json');
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.stdout);
    expect(parsed.models.map((m: { name: string }) => m.name)).toEqual([
      'sqlmesh_example.seed_model',
      'sqlmesh_example.incremental_model',
      'sqlmesh_example.full_model',
    ]);
    expect(parsed.models[1].nextRun).toMatch(/T00:00:00\.000Z$/);
    // a SEED is built when a plan applies, never on its cron: no next run, as the API says
    expect(parsed.models[0]).toMatchObject({ kind: 'SEED', enabled: true, nextRun: null });
  });

  it('rejects a bad project with every error, file and line, and exit code 2', () => {
    const dir = join(scratch, 'bad');
    cpSync(fixture, dir, { recursive: true });
    writeFileSync(
      join(dir, 'models', 'broken.sql'),
      "MODEL (\n  name sqlmesh_example.broken,\n  kind FULL,\n  cron 'every day',\n  cron_tz 'Mars/Olympus'\n);\nSELECT 1\n",
    );
    const r = sluice('validate', '-p', dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('models/broken.sql:4: invalid cron "every day"');
    expect(r.stderr).toContain("models/broken.sql:5: unknown time zone 'Mars/Olympus'");
    expect(r.stderr).toMatch(/sluice: 2 errors in .*bad; fix them and run validate again\n$/);
  });

  it('says so when the folder is missing or is not a project', () => {
    const missing = sluice('validate', '-p', join(scratch, 'nowhere'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nowhere: project folder not found');
    const empty = join(scratch, 'empty');
    cpSync(join(fixture, 'seeds'), join(empty, 'seeds'), { recursive: true });
    const notProject = sluice('validate', '-p', empty);
    expect(notProject.code).toBe(2);
    expect(notProject.stderr).toContain('config.yaml: the project has no config.yaml');
  });
});
