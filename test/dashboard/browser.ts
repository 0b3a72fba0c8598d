import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

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

/**
 * One Chromium for a whole test file, launched before its first suite and closed after the last:
 * launching is the costly part, and each suite still opens its own contexts (own cookies).
 * Call at the top level of the file; the returned function gives the browser inside tests.
 */
export function browserPerFile(enabled: boolean): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (enabled) browser = await launchBrowser();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('No browser: browserPerFile() was not enabled for this file');
    return browser;
  };
}
