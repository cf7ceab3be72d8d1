import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Debian's chromium (npm test installs it); never a downloaded browser build. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where each checked page's screenshot goes (kept after the run, for people to look at). */
export const SCREENSHOTS =
  process.env.HEIRLOOM_SCREENSHOTS_DIR ?? join(process.cwd(), '.data', 'screenshots');

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/**
 * Checks the page as it is now with axe (no serious or critical violation) and saves its
 * screenshot as SCREENSHOTS/<name>.png.
 */
export async function checkPage(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('networkidle');
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    serious.map((v) => `${name}: ${v.id} ${v.help} (${v.nodes.map((n) => n.target).join(', ')})`),
  ).toEqual([]);
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Words of the sign-up form per browser language. */
const SIGN_UP = {
  en: {
    email: 'Email',
    handle: 'Handle',
    password: 'Password',
    submit: 'Create account',
    signOut: 'Sign out',
  },
  'zh-CN': { email: '邮箱', handle: '昵称', password: '密码', submit: '注册', signOut: '退出登录' },
} as const;

/**
 * A new browser session of a person who signed up through the page (in `language`), landed on
 * `next`; returns their handle and email too.
 */
export async function signUpInBrowser(
  browser: Browser,
  baseUrl: string,
  { language = 'en', next = '/browse' }: { language?: keyof typeof SIGN_UP; next?: string } = {},
): Promise<{ context: BrowserContext; page: Page; handle: string; email: string; password: string }> {
  const words = SIGN_UP[language];
  const context = await browser.newContext({
    locale: language === 'en' ? 'en-US' : 'zh-CN',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const handle = `p_${randomUUID().slice(0, 8)}`;
  const email = `${handle}@example.com`;
  const password = 'correct horse battery staple';
  await page.goto(`${baseUrl}/signup?next=${encodeURIComponent(next)}`);
  await page.getByLabel(words.email).fill(email);
  await page.getByLabel(words.handle).fill(handle);
  await page.getByLabel(words.password).fill(password);
  await page.getByRole('button', { name: words.submit }).click();
  await page.waitForURL((url) => url.pathname === next);
  await page.getByRole('button', { name: words.signOut }).waitFor();
  return { context, page, handle, email, password };
}
