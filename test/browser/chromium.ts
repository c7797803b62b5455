import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it when missing). */
export const CHROMIUM = '/usr/bin/chromium';

/** Locally a missing chromium skips the browser specs with a message; in CI it fails them. */
export function chromiumMissing(): boolean {
  if (existsSync(CHROMIUM) || process.env.CI === 'true') return false;
  console.warn(`browser specs skipped: ${CHROMIUM} not found (apt-get install -y chromium); in CI (CI=true) they run and fail instead`);
  return true;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
