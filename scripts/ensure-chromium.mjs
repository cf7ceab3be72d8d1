// The browser tests (test/web*.e2e-spec.ts) drive Debian's Chromium through playwright-core — never a
// downloaded browser build — and screenshot pages in Chinese too, which needs a CJK font. Installs
// what is missing with apt when we may (root, apt-get).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CJK_FONT = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc';

export function ensureChromium() {
  const missing = [
    ...(existsSync(CHROMIUM) ? [] : ['chromium']),
    ...(existsSync(CJK_FONT) ? [] : ['fonts-wqy-microhei']),
  ];
  if (missing.length === 0) return;
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    console.error(
      `missing for the browser tests: ${missing.join(', ')} (sudo apt-get install -y ${missing.join(' ')})`,
    );
    return;
  }
  console.log(`installing ${missing.join(', ')} for the browser tests…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  spawnSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env });
}
