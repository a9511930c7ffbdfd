#!/usr/bin/env node
// Installs Debian's Chromium and Firefox ESR, the browsers the dashboard's tests (test/browser/) and
// its benchmark (bench/dashboard-render.ts) drive: Chromium through playwright-core, Firefox through
// puppeteer-core over WebDriver BiDi. Skips each one already on PATH. Installing needs apt-get as
// root (or sudo without a password); otherwise it says what to run.
import { aptInstall } from './apt-install.mjs';

const purpose = 'for the dashboard browser tests';
const chromium = aptInstall({
  command: 'chromium',
  packages: ['chromium', 'fonts-liberation'],
  recommends: true,
  purpose,
});
const firefox = aptInstall({ command: 'firefox-esr', packages: ['firefox-esr'], recommends: true, purpose });
process.exit(chromium || firefox);
