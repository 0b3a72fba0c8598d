import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's chromium; never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * True when the browser tests can run. A missing browser skips them with a message on a
 * developer machine, and fails them under CI, where .ci/run installs chromium.
 */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `${CHROMIUM} is missing (install it with: apt-get update && apt-get install -y chromium)`;
  if (process.env.CI) throw new Error(`${message}, and CI requires the dashboard browser tests`);
  console.warn(`SKIPPED: dashboard browser tests, because ${message}`);
  return false;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
