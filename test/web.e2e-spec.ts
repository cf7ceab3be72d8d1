import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { listToken } from './support/checkout.js';
import { createCollection, createUser, mintEditions, type TestUser } from './support/factories.js';
import { client, type Client } from './support/http.js';
import { settleCheckpoint } from './support/ledger.js';

/** Debian's chromium (.ci/run installs it); never a downloaded browser build. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('web front (e2e, headless Chromium): a buyer from search to a verified certificate', () => {
  let testApp: TestApp;
  let api: Client;
  let browser: Browser;
  let creator: TestUser;
  let operator: TestUser;
  let downloads: string;
  const run = randomUUID().slice(0, 8);

  /** A single-edition piece named `name`, listed for sale at `priceMinor` USD cents. */
  const listedPiece = async (name: string, priceMinor = 1999) => {
    const collection = await createCollection(api, creator);
    const { tokenIds } = await mintEditions(api, creator, collection.id, 1, name);
    await listToken(api, creator, tokenIds[0], priceMinor);
    return tokenIds[0];
  };

  /** A new browser session of a buyer who signed up through the page. */
  const buyerSession = async (locale = 'en-US'): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ locale, acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(`${testApp.url}/signup?next=/browse`);
    await page.getByLabel('Email').fill(`buyer-${randomUUID()}@example.com`);
    await page.getByLabel('Handle').fill(`buyer_${randomUUID().slice(0, 8)}`);
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL((url) => url.pathname === '/browse');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    return { context, page };
  };

  /** Fills the checkout with a card and pays. */
  const payWith = async (page: Page, number: string) => {
    await page.getByLabel('Card number').fill(number);
    await page.getByLabel('Expiry (MM/YY)').fill('12/40');
    await page.getByLabel('Security code').fill('123');
    await page.getByRole('button', { name: /^Pay / }).click();
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    testApp = await startTestApp();
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
    operator = await createUser(testApp, api, ['operator']);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    downloads = mkdtempSync(join(tmpdir(), 'heirloom-web-'));
  });
  afterAll(async () => {
    await browser?.close();
    await testApp?.close();
    if (downloads) rmSync(downloads, { recursive: true, force: true });
  });

  it('serves the page at its own paths, its assets immutable, and leaves the API as it was', async () => {
    const page = await fetch(`${testApp.url}/item/tok_anything`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(await page.text())![1];
    const asset = await fetch(`${testApp.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const apiRoute = await fetch(`${testApp.url}/catalogue/series`);
    expect(apiRoute.headers.get('content-type')).toContain('application/json');
  });

  it('a buyer finds a piece by search, pays with 4242…, owns it, and verifies its certificate offline', async () => {
    const name = `Paper crane ${run}`;
    const tokenId = await listedPiece(name);
    const { context, page } = await buyerSession();
    try {
      await page.getByRole('searchbox').fill(name);
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByRole('link', { name }).click();
      await expect.poll(() => page.url()).toContain(`/item/${tokenId}`);
      await payWith(page, '4242 4242 4242 4242');
      await page.getByText('Paid. This piece is yours').waitFor();

      await page.getByRole('link', { name: 'My collection' }).first().click();
      await page.getByRole('heading', { name }).waitFor();

      await settleCheckpoint(testApp);
      await page.goto(`${testApp.url}/item/${tokenId}`);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Download the ownership certificate' }).click(),
      ]);
      const certificate = join(downloads, 'certificate.json');
      await download.saveAs(certificate);

      await page.goto(`${testApp.url}/verify`);
      await page.getByLabel('Certificate file (.json)').setInputFiles(certificate);
      await page.getByRole('button', { name: 'Use the keys this platform publishes' }).click();
      await expect.poll(() => page.getByRole('textbox').inputValue()).toContain('log ');
      await page.getByRole('button', { name: 'Verify', exact: true }).click();
      const verdict = page.getByTestId('verdict');
      await expect.poll(() => verdict.textContent()).toContain(`Valid:`);
      expect(await verdict.textContent()).toContain(tokenId);

      // The same file with a byte changed is refused.
      await page.getByLabel('Certificate file (.json)').setInputFiles({
        name: 'tampered.json',
        mimeType: 'application/json',
        buffer: Buffer.from(
          JSON.stringify({
            ...(await import(certificate, { with: { type: 'json' } })).default,
            token: 'tok_other',
          }),
        ),
      });
      await page.getByRole('button', { name: 'Verify', exact: true }).click();
      await expect.poll(() => verdict.textContent()).toContain('Not valid');
    } finally {
      await context.close();
    }
  });

  it('a declined card says so and the piece stays on sale; a 3-D Secure card completes', async () => {
    const tokenId = await listedPiece(`Lantern ${run}`);
    const { context, page } = await buyerSession();
    try {
      await page.goto(`${testApp.url}/item/${tokenId}`);
      await payWith(page, '4000 0000 0000 0002');
      await page.getByText('This card was declined. Try another card').waitFor();
      const offer = (await api('GET', `/catalogue/tokens/${tokenId}`)).body.offer;
      expect(offer).toMatchObject({ available: true });

      await payWith(page, '4000 0025 0000 3155');
      await page.getByRole('button', { name: 'Confirm payment' }).click();
      await page.getByText('Paid. This piece is yours').waitFor();
    } finally {
      await context.close();
    }
  });

  it('a frozen piece shows as frozen and cannot be bought', async () => {
    const tokenId = await listedPiece(`Inkstone ${run}`);
    const frozen = await api('POST', `/operator/tokens/${tokenId}/freeze`, {
      token: operator.token,
      body: { reason: 'Reported as copied artwork' },
    });
    expect(frozen.status).toBe(200);
    const { context, page } = await buyerSession();
    try {
      await page.goto(`${testApp.url}/item/${tokenId}`);
      await page.getByTestId('frozen').waitFor();
      expect(await page.getByRole('button', { name: /^Pay / }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('speaks Simplified Chinese to a zh-CN browser, and formats money per locale', async () => {
    const tokenId = await listedPiece(`Seal ${run}`, 199_900);
    const context = await browser.newContext({ locale: 'zh-CN' });
    try {
      const page = await context.newPage();
      await page.goto(`${testApp.url}/item/${tokenId}`);
      await page.getByText('流转记录').first().waitFor();
      await page.getByText('登录后即可购买。').waitFor();
      expect(await page.getByTestId('price').textContent()).toBe('US$1,999.00');
      await page.getByRole('combobox', { name: '语言' }).selectOption('en');
      await page.getByText('Sign in to buy this piece.').waitFor();
      expect(await page.getByTestId('price').textContent()).toBe('$1,999.00');
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
    } finally {
      await context.close();
    }
  });

  it('has no serious accessibility violations on the home, browse and token pages', async () => {
    const tokenId = await listedPiece(`Scroll ${run}`);
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      for (const path of ['/', '/browse', `/item/${tokenId}`, '/verify', '/login']) {
        await page.goto(`${testApp.url}${path}`);
        await page.getByRole('main').waitFor();
        await page.waitForLoadState('networkidle');
        const { violations } = await new AxeBuilder({ page }).analyze();
        const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        expect(serious.map((v) => `${path}: ${v.id} ${v.help}`)).toEqual([]);
      }
    } finally {
      await context.close();
    }
  });
});
