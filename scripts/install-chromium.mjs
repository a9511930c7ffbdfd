#!/usr/bin/env node
// Installs Debian's Chromium, the browser the dashboard's tests (test/browser/) and its benchmark
// (bench/dashboard-render.ts) drive through playwright-core. Skips when chromium is already on PATH.
// Installing needs apt-get as root (or sudo without a password); otherwise it says what to run.
import { aptInstall } from './apt-install.mjs';

process.exit(
  aptInstall({
    command: 'chromium',
    packages: ['chromium', 'fonts-liberation'],
    recommends: true,
    purpose: 'for the dashboard browser tests',
  }),
);
