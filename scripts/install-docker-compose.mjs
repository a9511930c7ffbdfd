#!/usr/bin/env node
// Installs Debian's docker-compose (Compose 1.29), which test/deploy uses to validate
// docker-compose.yml; no Docker engine is needed. Skips when docker-compose is already on PATH.
// Installing needs apt-get as root (or sudo without a password); otherwise it says what to run.
import { spawnSync } from 'node:child_process';

const COMMAND = 'apt-get install -y --no-install-recommends docker-compose';
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

if (has('docker-compose')) {
  console.log('docker-compose present');
  process.exit(0);
}
if (!has('apt-get')) {
  console.warn(`docker-compose not found and there is no apt-get: install Compose 1.29 for the deploy tests`);
  process.exit(0);
}
const root = process.getuid?.() === 0;
const prefix = root ? '' : has('sudo') ? 'sudo -n ' : null;
if (prefix === null) {
  console.warn(`docker-compose not found: run \`apt-get update && ${COMMAND}\` as root for the deploy tests`);
  process.exit(0);
}
const install = spawnSync(
  'sh',
  ['-c', `${prefix}apt-get update && DEBIAN_FRONTEND=noninteractive ${prefix}${COMMAND}`],
  { stdio: 'inherit' },
);
if (install.status !== 0) {
  console.error(`installing docker-compose failed (exit ${install.status}); run \`${COMMAND}\` as root`);
  process.exit(1);
}
