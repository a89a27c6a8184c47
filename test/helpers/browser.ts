import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

/** Where Debian and others put Chromium; LATTICE_CHROMIUM names another. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** Where the browser tests save their screenshots (not committed). */
export const SCREENSHOTS = fileURLToPath(new URL('../../test-output/console', import.meta.url));

/**
 * Headless Chromium. The browser tests fail, not skip, without it: they are the console's only test.
 * @throws Error naming how to install it
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.LATTICE_CHROMIUM ?? CANDIDATES.find((path) => existsSync(path));
  if (executablePath === undefined) {
    throw new Error(`No Chromium found (looked at ${CANDIDATES.join(', ')}): install it (apt-get install chromium) or set LATTICE_CHROMIUM to its path. .ci/run installs it.`);
  }
  await mkdir(SCREENSHOTS, { recursive: true });
  // --no-sandbox: the sandbox needs user namespaces, which containers and root (CI) do not give.
  return chromium.launch({ executablePath, args: ['--no-sandbox'] });
}
