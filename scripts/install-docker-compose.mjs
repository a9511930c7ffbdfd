#!/usr/bin/env node
// Installs Debian's docker-compose (Compose 1.29), which test/deploy uses to validate
// docker-compose.yml; no Docker engine is needed. Skips when docker-compose is already on PATH.
// Installing needs apt-get as root (or sudo without a password); otherwise it says what to run.
import { aptInstall } from './apt-install.mjs';

process.exit(
  aptInstall({ command: 'docker-compose', packages: ['docker-compose'], purpose: 'for the deploy tests' }),
);
