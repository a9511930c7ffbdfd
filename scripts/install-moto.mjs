#!/usr/bin/env node
// Installs the pinned moto server (an S3-compatible server in Python) from PyPI into .tools/moto,
// where the S3 artifact store's tests start it (test/support/moto.ts). Skips when it is already
// there; says what to do instead when python3 is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PINNED = 'moto[server]==5.2.6';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, '.tools', 'moto');
const versionFile = join(target, `.pinned-${PINNED.replace(/[[\]]/g, '')}`);

if (existsSync(join(target, 'moto', 'server.py')) && existsSync(versionFile)) {
  console.log(`moto present in ${target}`);
  process.exit(0);
}
const python = spawnSync('python3', ['--version'], { encoding: 'utf8' });
if (python.status !== 0) {
  console.warn('python3 not found: skipping the PyPI install of moto; the S3 artifact store tests need it');
  process.exit(0);
}
const pip = spawnSync(
  'python3',
  ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--upgrade', '--target', target, PINNED],
  { stdio: 'inherit' },
);
if (pip.status !== 0) {
  console.error(`pip install of ${PINNED} into ${target} failed (exit ${pip.status})`);
  process.exit(1);
}
writeFileSync(versionFile, `${PINNED}\n`);
console.log(`Installed ${PINNED} into ${target}`);
