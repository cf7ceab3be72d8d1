import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { checkPage, launchBrowser, signUpInBrowser } from './support/browser.js';
import { listToken } from './support/checkout.js';
import { createCollection, createUser, mintEditions, type TestUser } from './support/factories.js';
import { client, type Client } from './support/http.js';
import { settleCheckpoint } from './support/ledger.js';

/** What the journey reads and clicks, per browser language. */
const WORDS = {
  en: {
    search: 'Search',
    cardNumber: 'Card number',
    expiry: 'Expiry (MM/YY)',
    cvc: 'Security code',
    pay: /^Pay /,
    paid: 'Paid. This piece is yours',
    declined: 'This card was declined. Try another card',
    confirm: 'Confirm payment',
    collection: 'My collection',
    certificate: 'Download the ownership certificate',
    certificateFile: 'Certificate file (.json)',
    publishedKeys: 'Use the keys this platform publishes',
    verify: 'Verify',
    valid: 'Valid:',
    invalid: 'Not valid',
  },
  'zh-CN': {
    search: '搜索',
    cardNumber: '卡号',
    expiry: '有效期（MM/YY）',
    cvc: '安全码',
    pay: /^支付 /,
    paid: '支付成功，这件藏品已归你所有',
    declined: '银行卡被拒。请换一张卡',
    confirm: '确认支付',
    collection: '我的藏品',
    certificate: '下载藏品权属证书',
    certificateFile: '证书文件（.json）',
    publishedKeys: '使用本平台公布的公钥',
    verify: '验证',
    valid: '有效：',
    invalid: '无效',
  },
};
type Words = (typeof WORDS)['en'] | (typeof WORDS)['zh-CN'];

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

  const buyerSession = (language: 'en' | 'zh-CN' = 'en') =>
    signUpInBrowser(browser, testApp.url, { language });

  /** Fills the checkout with a card and pays. */
  const payWith = async (page: Page, words: Words, number: string) => {
    await page.getByLabel(words.cardNumber).fill(number);
    await page.getByLabel(words.expiry).fill('12/40');
    await page.getByLabel(words.cvc).fill('123');
    await page.getByRole('button', { name: words.pay }).click();
  };

  beforeAll(async () => {
    testApp = await startTestApp();
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
    operator = await createUser(testApp, api, ['operator']);
    browser = await launchBrowser();
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

  describe.each(['en', 'zh-CN'] as const)('in %s', (language) => {
    const words = WORDS[language];
    const shot = (name: string) => `storefront-${language}-${name}`;

    it('a buyer finds a piece by search, pays with 4242…, owns it, and verifies its certificate offline', async () => {
      const name = `Paper crane ${language} ${run}`;
      const tokenId = await listedPiece(name);
      const { context, page } = await buyerSession(language);
      try {
        await checkPage(page, shot('browse'));
        await page.getByRole('searchbox').fill(name);
        await page.getByRole('button', { name: words.search }).click();
        await page.getByRole('link', { name }).click();
        await expect.poll(() => page.url()).toContain(`/item/${tokenId}`);
        await checkPage(page, shot('item'));
        await payWith(page, words, '4242 4242 4242 4242');
        await page.getByText(words.paid).waitFor();
        await checkPage(page, shot('paid'));

        await page.getByRole('link', { name: words.collection }).first().click();
        await page.getByRole('heading', { name }).waitFor();
        await checkPage(page, shot('collection'));

        await settleCheckpoint(testApp);
        await page.goto(`${testApp.url}/item/${tokenId}`);
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.getByRole('link', { name: words.certificate }).click(),
        ]);
        const certificate = join(downloads, `certificate-${language}.json`);
        await download.saveAs(certificate);

        await page.goto(`${testApp.url}/verify`);
        await page.getByLabel(words.certificateFile).setInputFiles(certificate);
        await page.getByRole('button', { name: words.publishedKeys }).click();
        await expect.poll(() => page.getByRole('textbox').inputValue()).toContain('log ');
        await page.getByRole('button', { name: words.verify, exact: true }).click();
        const verdict = page.getByTestId('verdict');
        await expect.poll(() => verdict.textContent()).toContain(words.valid);
        expect(await verdict.textContent()).toContain(tokenId);
        await checkPage(page, shot('verify'));

        // The same certificate naming another token is refused.
        const original = JSON.parse(readFileSync(certificate, 'utf8'));
        await page.getByLabel(words.certificateFile).setInputFiles({
          name: 'tampered.json',
          mimeType: 'application/json',
          buffer: Buffer.from(JSON.stringify({ ...original, token: 'tok_other' })),
        });
        await page.getByRole('button', { name: words.verify, exact: true }).click();
        await expect.poll(() => verdict.textContent()).toContain(words.invalid);
      } finally {
        await context.close();
      }
    });

    it('a declined card says so and the piece stays on sale; a 3-D Secure card completes', async () => {
      const tokenId = await listedPiece(`Lantern ${language} ${run}`);
      const { context, page } = await buyerSession(language);
      try {
        await page.goto(`${testApp.url}/item/${tokenId}`);
        await payWith(page, words, '4000 0000 0000 0002');
        await page.getByText(words.declined).waitFor();
        await checkPage(page, shot('declined'));
        const offer = (await api('GET', `/catalogue/tokens/${tokenId}`)).body.offer;
        expect(offer).toMatchObject({ available: true });

        await payWith(page, words, '4000 0025 0000 3155');
        await page.getByRole('button', { name: words.confirm }).waitFor();
        await checkPage(page, shot('3ds'));
        await page.getByRole('button', { name: words.confirm }).click();
        await page.getByText(words.paid).waitFor();
      } finally {
        await context.close();
      }
    });

    it('a frozen piece shows as frozen and cannot be bought', async () => {
      const tokenId = await listedPiece(`Inkstone ${language} ${run}`);
      const frozen = await api('POST', `/operator/tokens/${tokenId}/freeze`, {
        token: operator.token,
        body: { reason: 'Reported as copied artwork' },
      });
      expect(frozen.status).toBe(200);
      const { context, page } = await buyerSession(language);
      try {
        await page.goto(`${testApp.url}/item/${tokenId}`);
        await page.getByTestId('frozen').waitFor();
        expect(await page.getByRole('button', { name: words.pay }).count()).toBe(0);
        await checkPage(page, shot('frozen'));
      } finally {
        await context.close();
      }
    });
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

  it('has no serious accessibility violations on the signed-out pages, at desktop and phone width', async () => {
    await listedPiece(`Scroll ${run}`);
    for (const [device, viewport] of [
      ['desktop', { width: 1280, height: 800 }],
      ['phone', { width: 360, height: 740 }],
    ] as const) {
      const context = await browser.newContext({ viewport });
      try {
        const page = await context.newPage();
        for (const [name, path] of [
          ['home', '/'],
          ['browse', '/browse'],
          ['verify', '/verify'],
          ['login', '/login'],
          ['signup', '/signup'],
        ]) {
          await page.goto(`${testApp.url}${path}`);
          await page.getByRole('main').waitFor();
          await checkPage(page, `storefront-${device}-${name}`);
        }
      } finally {
        await context.close();
      }
    }
  });
});
