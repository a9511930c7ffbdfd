/**
 * `npm run build` and the command that runs it: the compiled CLI starts from bin/sluice.js when it is
 * up to date, and the TypeScript sources run instead once one of them is newer than the build, so an
 * edit is never hidden behind stale JavaScript. Built in a copy of the repository, so the build and
 * the edits leave this checkout's dist/ alone.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_STAMP, buildFreshness } from '../../bin/fresh-build.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BUILD_CONFIG = JSON.parse(readFileSync(join(REPO, 'tsconfig.build.json'), 'utf8')) as {
  include: string[];
};
const MARKER = 'edited after the build';

let copy: string;

function sluice(...args: string[]) {
  const r = spawnSync(process.execPath, [join(copy, 'bin/sluice.js'), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), 'sluice-build-'));
  for (const path of [
    'bin',
    'scripts',
    'package.json',
    'tsconfig.json',
    'tsconfig.build.json',
    ...BUILD_CONFIG.include,
  ]) {
    cpSync(join(REPO, path), join(copy, path), { recursive: true });
  }
  symlinkSync(realpathSync(join(REPO, 'node_modules')), join(copy, 'node_modules'));
  const built = spawnSync('npm', ['run', '--silent', 'build'], {
    cwd: copy,
    encoding: 'utf8',
    timeout: 150_000,
  });
  expect(built.status, `${built.stdout}${built.stderr}`).toBe(0);
}, 180_000);

afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

describe('npm run build', () => {
  it('compiles a CLI that bin/sluice.js runs, migrations and the failure converter beside it', () => {
    expect(buildFreshness(copy)).toEqual({ fresh: true });
    for (const file of ['dist/cli/main.js', 'dist/workflows/index.js', 'dist/crypto/failure-converter.cjs'])
      expect(() => readFileSync(join(copy, file)), file).not.toThrow();
    expect(readFileSync(join(copy, 'dist/db/migrations/meta/_journal.json'), 'utf8')).toContain('"entries"');
    // no `.ts` import survives the compilation: Node could not load it without tsx
    expect(readFileSync(join(copy, 'dist/cli/main.js'), 'utf8')).not.toMatch(/from '\.[^']*\.ts'/);
    const help = sluice('--help');
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: sluice \[options\] \[command\]/);
  });

  it('runs the build while it is fresh and the sources once one is newer', () => {
    const main = join(copy, 'cli/main.ts');
    const source = readFileSync(main, 'utf8');
    expect(source).toContain("'Self-hosted scheduler");
    writeFileSync(main, source.replace("'Self-hosted scheduler", `'${MARKER}: Self-hosted scheduler`));
    // an edit dated before the build: the build still counts as fresh, and it is what runs
    const { startedAt } = JSON.parse(readFileSync(join(copy, BUILD_STAMP), 'utf8')) as { startedAt: number };
    const before = new Date(startedAt - 60_000);
    utimesSync(main, before, before);
    expect(buildFreshness(copy)).toEqual({ fresh: true });
    expect(sluice('--help').stdout).not.toContain(MARKER);

    // dated now, as an editor saves it: the sources run, the edit shows, and piped stderr stays quiet
    const now = new Date();
    utimesSync(main, now, now);
    expect(buildFreshness(copy)).toEqual({
      fresh: false,
      built: true,
      reason: 'cli/main.ts changed after the build',
    });
    const help = sluice('--help');
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toContain(MARKER);
  });

  it('counts a build without its stamp, or with a broken one, as no build', () => {
    const stamp = join(copy, BUILD_STAMP);
    const kept = readFileSync(stamp, 'utf8');
    try {
      writeFileSync(stamp, '{"inputs": "cli"}');
      expect(buildFreshness(copy)).toMatchObject({ fresh: false, built: false });
      rmSync(stamp);
      expect(buildFreshness(copy)).toMatchObject({ fresh: false, built: false });
      expect(sluice('--version')).toMatchObject({ code: 0, stdout: '0.1.0\n', stderr: '' });
    } finally {
      writeFileSync(stamp, kept);
    }
  });

  it('runs from dist/ alone, as the image holds it: no source is there to be newer', () => {
    for (const path of [...BUILD_CONFIG.include, 'tsconfig.json', 'tsconfig.build.json', 'scripts']) {
      rmSync(join(copy, path), { recursive: true, force: true });
    }
    expect(buildFreshness(copy)).toEqual({ fresh: true });
    const help = sluice('dev', '--help');
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: sluice dev \[options\]/);
    expect(help.stdout).toContain('--quiet');
  });
});
