// The browser tests (test/web.e2e-spec.ts) drive Debian's Chromium through playwright-core — never a
// downloaded browser build. Installs it with apt when it is missing and we may (root, apt-get).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    console.error(`${CHROMIUM} is missing: install Debian's chromium (sudo apt-get install -y chromium)`);
    return;
  }
  console.log(`${CHROMIUM} is missing: installing Debian's chromium for the browser tests…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
}
