/**
 * Debian's Firefox ESR, headless, driven by puppeteer-core over WebDriver BiDi: the second browser the
 * dashboard is checked in. `npm run setup` installs it (scripts/install-browsers.mjs); without it the
 * tests fail saying so, never skip.
 */
import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';

export const FIREFOX = process.env.SLUICE_FIREFOX ?? '/usr/bin/firefox-esr';

export async function launchFirefox(): Promise<Browser> {
  if (!existsSync(FIREFOX)) {
    throw new Error(
      `Firefox is not at ${FIREFOX}: run \`npm run setup\` (scripts/install-browsers.mjs installs Debian's firefox-esr), or set SLUICE_FIREFOX to its path`,
    );
  }
  return puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true });
}
