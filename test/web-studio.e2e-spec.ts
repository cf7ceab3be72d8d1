import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { checkPage as checkWholePage, launchBrowser, signUpInBrowser } from './support/browser.js';
import { cardCheckout } from './support/checkout.js';
import { createUser, mintEditions, type TestUser } from './support/factories.js';
import { client, type Client } from './support/http.js';
import { uniquePng } from './support/media.js';
import { startStripeTestServer } from './support/stripe-test-server.js';

const SESSION_KEY = 'heirloom.session';
const WEB = join(process.cwd(), 'dist', 'web');

/**
 * checkPage, with the focus let go first: its full-page screenshot resizes the viewport, and
 * Chromium then scrolls a focused input back into view at the next click, which moves the page
 * between the mouse going down and up (the click would miss its button).
 */
async function checkPage(page: Page, name: string): Promise<void> {
  await page.evaluate('document.activeElement?.blur()');
  await checkWholePage(page, name);
}

/** Pages of `context` open signed in with `token` (the session the web front keeps in localStorage). */
async function signedInAs(context: BrowserContext, token: string): Promise<void> {
  const [key, value] = [JSON.stringify(SESSION_KEY), JSON.stringify(token)];
  await context.addInitScript({
    content: `if (!localStorage.getItem(${key})) localStorage.setItem(${key}, ${value});`,
  });
}

describe('creator studio (e2e, headless Chromium): apply, mint, price, drop, earnings', () => {
  let testApp: TestApp;
  let api: Client;
  let browser: Browser;
  let operator: TestUser;
  const run = randomUUID().slice(0, 6);

  /** The browser person's account as the API sees it (signed in through the API with their password). */
  const signInThroughApi = async (email: string, password: string) => {
    const opened = await api('POST', '/auth/sign-in', { body: { email, password } });
    expect(opened.status).toBe(200);
    const me = await api('GET', '/me', { token: opened.body.token });
    return { id: me.body.id as string, token: opened.body.token as string };
  };

  /** An operator approves (the console is another page; its API is the same). */
  const approve = async (accountId: string) => {
    const approved = await api('POST', `/operator/creator-applications/${accountId}/approve`, {
      token: operator.token,
      body: { reason: 'Portfolio checked' },
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
  };

  /** The operator approves `handle` in the console's creator queue, in a browser of their own. */
  const approveInConsole = async (handle: string) => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${testApp.url}/login?next=/console`);
      await page.getByLabel('Email').fill(operator.email);
      await page.getByLabel('Password').fill(operator.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => url.pathname === '/console/creators');
      const decision = page.getByRole('form', { name: `Decide on @${handle}` });
      await decision.getByLabel(/^Reason/).fill('Portfolio checked');
      await decision.getByRole('button', { name: 'Approve' }).click();
      await page.getByText(`@${handle} is now a creator.`).waitFor();
    } finally {
      await context.close();
    }
  };

  /** Another browser of the same signed-in person (its own zone and screen), e.g. their phone. */
  const sameSessionElsewhere = async (from: Page, options: Parameters<Browser['newContext']>[0]) => {
    const token = (await from.evaluate(`localStorage.getItem(${JSON.stringify(SESSION_KEY)})`)) as string;
    const context = await browser.newContext(options);
    await signedInAs(context, token);
    return context;
  };

  /** A new creator whose one piece sold at 50.00 USD (sandbox card rail). */
  const soldOnce = async (name: string) => {
    const creator = await createUser(testApp, api, ['creator']);
    const collection = (
      await api('POST', '/collections', { token: creator.token, body: { name, royaltyBps: 0 } })
    ).body;
    const { tokenIds } = await mintEditions(api, creator, collection.id, 1);
    const listed = await api('POST', '/listings', {
      token: creator.token,
      body: { tokenId: tokenIds[0], priceMinor: 5000, currency: 'USD' },
    });
    const buyer = await createUser(testApp, api);
    const paid = await api('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ listingId: listed.body.listingId }),
    });
    expect(paid.body.status, JSON.stringify(paid.body)).toBe('paid');
    return creator;
  };

  const tokenIdOf = async (page: Page, linkName: string | RegExp) => {
    const href = await page.getByRole('link', { name: linkName }).first().getAttribute('href');
    return decodeURIComponent(href!.replace('/item/', ''));
  };

  beforeAll(async () => {
    testApp = await startTestApp();
    api = client(testApp.url);
    operator = await createUser(testApp, api, ['operator']);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await testApp?.close();
  });

  it('keeps the studio out of the storefront’s first download (≤ 200 KB gzipped)', () => {
    const html = readFileSync(join(WEB, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((match) => match[1]);
    expect(scripts.some((script) => /\/index-[^/]+\.js$/.test(script))).toBe(true);
    const initial = scripts.map((script) => readFileSync(join(WEB, script)));
    const gzipped = initial.reduce((sum, bytes) => sum + gzipSync(bytes).length, 0);
    expect(gzipped).toBeLessThanOrEqual(200 * 1024);
    // The studio's pages and words come in their own chunk, only when /studio is opened.
    expect(scripts.some((script) => script.includes('Studio'))).toBe(false);
    expect(initial.some((bytes) => bytes.includes('Royalty on resales'))).toBe(false);
  });

  it('a collector applies, is approved in the console, mints 3 editions, prices one, schedules a drop, and sees the sale', async () => {
    const { context, page, email, password, handle } = await signUpInBrowser(browser, testApp.url);
    let phone: BrowserContext | undefined;
    try {
      // Apply.
      await page.getByRole('link', { name: 'Become a creator' }).click();
      await page.getByRole('heading', { name: 'Become a creator' }).waitFor();
      await checkPage(page, 'studio-apply');
      await page.getByRole('button', { name: 'Apply to become a creator' }).click();
      await page.getByText('Your application is waiting for an operator').waitFor();
      await checkPage(page, 'studio-apply-pending');

      const account = await signInThroughApi(email, password);
      await approveInConsole(handle);
      await page.getByRole('button', { name: 'Check again' }).click();
      await page.getByText('You are a creator.').waitFor();
      await page.getByRole('link', { name: 'Studio', exact: true }).waitFor();
      await checkPage(page, 'studio-apply-approved');
      await page.getByRole('link', { name: 'Open your studio' }).click();
      await page.getByText('You have no collection yet').waitFor();
      await checkPage(page, 'studio-home-empty');

      // Create a collection: royalty in percent on the page, basis points to the API.
      const collectionName = `Cranes ${run}`;
      await page.getByRole('link', { name: 'New collection' }).first().click();
      await page.getByLabel('Name', { exact: true }).fill(collectionName);
      await page.getByLabel('Description (optional)').fill('Folded paper cranes');
      await page.getByLabel('Royalty on resales (%)').fill('7.5');
      await page.getByLabel('Supply cap (optional)').fill('100');
      await page.getByLabel('Gifts only').check();
      await page.getByLabel('Days an owner holds a piece before passing it on').fill('30');
      await checkPage(page, 'studio-new-collection');
      await page.getByRole('button', { name: 'Create collection' }).click();
      await page.getByRole('heading', { name: collectionName }).waitFor();
      await page.getByText('Royalty on resales: 7.5%').waitFor();
      await page.getByText('Owners may give pieces, not resell them.').waitFor();
      await checkPage(page, 'studio-collection-new');
      const collectionId = page.url().split('/studio/collections/')[1];
      const collection = (await api('GET', `/collections/${collectionId}`)).body;
      expect(collection).toMatchObject({
        name: collectionName,
        royaltyBps: 750,
        supplyCap: 100,
        policy: { giftsAllowed: true, resaleAllowed: false, holdDays: 30, realNameRequired: false },
      });

      // Upload an image (previewed), write metadata with an attribute, mint 3 editions.
      const pieceName = `Red crane ${run}`;
      await page.getByRole('link', { name: 'Mint pieces' }).click();
      await page.getByLabel('Image (PNG, JPEG, GIF, WebP or AVIF)').setInputFiles({
        name: 'crane.png',
        mimeType: 'image/png',
        buffer: uniquePng(),
      });
      await page.getByRole('img', { name: 'Preview of the chosen file' }).waitFor();
      await page.getByText('Uploaded', { exact: true }).waitFor();
      await page.getByLabel('Name', { exact: true }).fill(pieceName);
      await page.getByLabel('Description (optional)').fill('The first crane of the series');
      await page.getByRole('button', { name: 'Add an attribute' }).click();
      await page.getByLabel('Trait').fill('Colour');
      await page.getByLabel('Value').fill('Vermilion');
      await page.getByLabel('Numbered editions').check();
      await page.getByLabel('Number of editions').fill('3');
      await checkPage(page, 'studio-mint');
      await page.getByRole('button', { name: 'Mint', exact: true }).click();
      await page.getByText(`Mint 3 editions of “${pieceName}”?`).waitFor();
      await checkPage(page, 'studio-mint-confirm');
      await page.getByRole('button', { name: 'Yes, mint' }).click();
      await page.getByText(`Minted 3 editions of “${pieceName}”`).waitFor();
      await checkPage(page, 'studio-mint-done');
      const editions = await Promise.all([1, 2, 3].map((n) => tokenIdOf(page, `${pieceName} #${n} of 3`)));
      const minted = (await api('GET', `/catalogue/tokens/${editions[0]}`)).body;
      expect(minted.metadata.attributes).toEqual([{ trait_type: 'Colour', value: 'Vermilion' }]);
      expect(minted.edition).toMatchObject({ number: 1, total: 3 });

      // Price: list #1, change its price; list #2 and take it off sale again.
      await page.getByRole('link', { name: 'Set their prices' }).click();
      const piece = (n: number) => page.getByTestId('piece').filter({ hasText: `#${n} of 3` });
      await piece(1).getByLabel('Price').fill('25');
      await piece(1).getByRole('button', { name: 'Put on sale' }).click();
      await piece(1).getByText('On sale for $25.00').waitFor();
      await piece(1).getByLabel('New price').fill('24.50');
      await piece(1).getByRole('button', { name: 'Change price' }).click();
      await piece(1).getByText('On sale for $24.50').waitFor();
      await piece(2).getByLabel('Price').fill('30');
      await piece(2).getByRole('button', { name: 'Put on sale' }).click();
      await piece(2).getByRole('button', { name: 'Take off sale' }).click();
      await piece(2).getByRole('button', { name: 'Put on sale' }).waitFor();
      await checkPage(page, 'studio-collection-priced');
      expect((await api('GET', `/catalogue/tokens/${editions[1]}`)).body.offer).toBeNull();

      // The listed edition on its storefront page, at that price.
      await page.goto(`${testApp.url}/item/${editions[0]}`);
      expect(await page.getByTestId('price').textContent()).toBe('$24.50');
      await page.getByText('Vermilion').waitFor();

      // A drop of another collection, scheduled from a phone in New York: times in its zone.
      await page.goto(`${testApp.url}/studio/collections/new`);
      const dropName = `Lanterns ${run}`;
      await page.getByLabel('Name', { exact: true }).fill(dropName);
      await page.getByRole('button', { name: 'Create collection' }).click();
      await page.getByRole('heading', { name: dropName }).waitFor();
      const dropCollectionId = page.url().split('/studio/collections/')[1];
      await page.getByRole('link', { name: 'Collections', exact: true }).click();
      await page.getByRole('link', { name: dropName }).waitFor();
      await page.getByRole('link', { name: collectionName }).waitFor();
      await page.getByText('3 of 100 minted').waitFor();
      await checkPage(page, 'studio-home');
      await mintEditions(
        api,
        { ...account, email, password, handle: '' },
        dropCollectionId,
        2,
        `Lantern ${run}`,
      );
      phone = await sameSessionElsewhere(page, {
        locale: 'en-US',
        timezoneId: 'America/New_York',
        viewport: { width: 360, height: 800 },
      });
      const mobile = await phone.newPage();
      await mobile.goto(`${testApp.url}/studio/collections/${dropCollectionId}`);
      await mobile.getByRole('link', { name: 'Schedule a drop' }).click();
      await mobile.getByText('Times are in your time zone: Eastern Time (New York).').waitFor();
      await mobile.getByLabel('Price per edition').fill('12');
      await mobile.getByLabel('Starts').fill('2031-05-01T20:00');
      await mobile.getByLabel('Lottery draw').check();
      await mobile.getByLabel('Entries close').fill('2031-05-02T20:00');
      await mobile.getByLabel('Most editions one buyer may buy (optional)').fill('1');
      await checkPage(mobile, 'studio-drop');
      await mobile.getByRole('button', { name: 'Schedule the drop' }).click();
      await mobile.getByText('Drop scheduled: 2 editions at $12.00').waitFor();
      await checkPage(mobile, 'studio-drop-done');
      const dropHref = await mobile.getByRole('link', { name: 'See the drop page' }).getAttribute('href');
      const drop = (await api('GET', `/drops/${dropHref!.split('/drop/')[1]}`)).body;
      expect(drop).toMatchObject({
        collectionId: dropCollectionId,
        priceMinor: 1200,
        currency: 'USD',
        mode: 'lottery',
        perBuyerLimit: 1,
        editions: 2,
        // 20:00 in New York in May (EDT, UTC−4).
        startsAt: '2031-05-02T00:00:00.000Z',
        entriesCloseAt: '2031-05-03T00:00:00.000Z',
      });

      // A buyer buys the listed edition; the creator sees the sale and pending earnings.
      const buyer = await createUser(testApp, api);
      const offer = (await api('GET', `/catalogue/tokens/${editions[0]}`)).body.offer;
      const bought = await api('POST', '/checkout', {
        token: buyer.token,
        body: cardCheckout({ listingId: offer.listingId }),
      });
      expect(bought.body.status, JSON.stringify(bought.body)).toBe('paid');
      const earnings = (await api('GET', '/me/earnings', { token: account.token })).body;
      const usd = earnings.balances.find((balance: { currency: string }) => balance.currency === 'USD');
      expect(usd.pendingMinor).toBeGreaterThan(0);
      expect(usd.pendingMinor).toBe(earnings.sales[0].earnedMinor);

      await page.goto(`${testApp.url}/studio`);
      await page.getByRole('link', { name: 'Earnings and payouts' }).click();
      const money = (minor: number) =>
        new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(minor / 100);
      const balance = page.getByTestId('balance-USD');
      await expect.poll(() => balance.getByTestId('pending').textContent()).toBe(money(usd.pendingMinor));
      const sale = page.getByRole('row').filter({ hasText: `${pieceName} #1 of 3` });
      await sale.waitFor();
      expect(await sale.textContent()).toContain('$24.50');
      expect(await sale.textContent()).toContain(money(earnings.sales[0].platformFeeMinor));
      await checkPage(page, 'studio-earnings');
    } finally {
      await phone?.close();
      await context.close();
    }
  });

  it('pays available earnings out once, confirmed, and lists the payout', async () => {
    // The same database read with no refund window, so the sale is available at once.
    const noWindow = await startTestApp({ EARNINGS_HOLD_DAYS: '0' }, testApp.databaseUrl, { jobs: false });
    const creator = await soldOnce(`Payout ${run}`);
    const context = await browser.newContext({ locale: 'en-US' });
    try {
      await signedInAs(context, creator.token);
      const page = await context.newPage();
      await page.goto(`${noWindow.url}/studio/earnings`);
      const available = (await client(noWindow.url)('GET', '/me/earnings', { token: creator.token })).body
        .balances[0].availableMinor as number;
      expect(available).toBeGreaterThan(0);
      const amount = (available / 100).toFixed(2);
      await page.getByLabel('Amount to pay out (USD)').waitFor();
      expect(await page.getByLabel('Amount to pay out (USD)').inputValue()).toBe(amount);
      await page.getByRole('button', { name: `Pay out $${amount}` }).click();
      await page.getByText(`Pay $${amount} out to your bank account?`).waitFor();
      await checkPage(page, 'studio-payout-confirm');
      await page.getByRole('button', { name: 'Yes, pay out' }).click();
      await page.getByText(`Payout requested: $${amount}.`).waitFor();
      await page
        .getByRole('region', { name: 'Payouts' })
        .getByRole('listitem')
        .filter({ hasText: 'Paid' })
        .waitFor();
      await checkPage(page, 'studio-payout-done');
      const payouts = (await client(noWindow.url)('GET', '/me/payouts', { token: creator.token })).body.items;
      expect(payouts).toHaveLength(1);
      expect(payouts[0]).toMatchObject({ amountMinor: available, status: 'paid' });
    } finally {
      await context.close();
      await noWindow.close();
    }
  });

  it('with Stripe, asks the creator to set payouts up and opens Stripe’s hosted onboarding', async () => {
    const stripe = await startStripeTestServer();
    // Stripe mode on the same database: the sale below is the sandbox app's, its payout Stripe's.
    const stripeApp = await startTestApp(
      {
        EARNINGS_HOLD_DAYS: '0',
        STRIPE_SECRET_KEY: 'sk_test_heirloom_studio',
        STRIPE_WEBHOOK_SECRET: `whsec_test_${randomUUID().replaceAll('-', '')}`,
        STRIPE_API_HOST: stripe.url,
      },
      testApp.databaseUrl,
      { jobs: false },
    );
    const creator = await soldOnce(`Stripe ${run}`);
    const context = await browser.newContext({ locale: 'en-US' });
    try {
      await signedInAs(context, creator.token);
      const page = await context.newPage();
      // Stripe's hosted page is out of this test's reach: answer for it.
      await page.route('https://connect.stripe.com/**', (route) =>
        route.fulfill({ contentType: 'text/html', body: '<title>Stripe onboarding</title>' }),
      );
      await page.goto(`${stripeApp.url}/studio/earnings`);
      await page
        .getByText('Before the first payout, tell the card processor where to send your money.')
        .waitFor();
      // Asking before the set-up says what to do.
      await page.getByRole('button', { name: /^Pay out / }).click();
      await page.getByRole('button', { name: 'Yes, pay out' }).click();
      await page.getByText('Set up payouts first, then request the payout again.').waitFor();
      await checkPage(page, 'studio-payout-setup');
      await page.getByRole('button', { name: 'Set up payouts' }).click();
      await page.waitForURL(/^https:\/\/connect\.stripe\.com\/setup\/e\/acct_/);
    } finally {
      await context.close();
      await stripeApp.close();
      await stripe.close();
    }
  });

  it('speaks Simplified Chinese: apply, create a series, mint a 1-of-1 and price it', async () => {
    const { context, page, email, password } = await signUpInBrowser(browser, testApp.url, {
      language: 'zh-CN',
    });
    try {
      await page.getByRole('link', { name: '成为创作者' }).click();
      await page.getByRole('button', { name: '申请成为创作者' }).click();
      await page.getByText('你的申请正在等待平台运营方审核').waitFor();
      await checkPage(page, 'studio-zh-apply-pending');
      const account = await signInThroughApi(email, password);
      await approve(account.id);
      await page.getByRole('button', { name: '刷新状态' }).click();
      await page.getByRole('link', { name: '进入工作室' }).click();
      await page.getByText('你还没有系列').waitFor();
      await checkPage(page, 'studio-zh-home');

      const series = `仙鹤 ${run}`;
      await page.getByRole('link', { name: '新建系列' }).first().click();
      await page.getByLabel('名称').fill(series);
      await page.getByLabel('转售版税（%）').fill('10');
      await page.getByLabel('仅可转赠').check();
      await checkPage(page, 'studio-zh-new-collection');
      await page.getByRole('button', { name: '创建系列' }).click();
      await page.getByRole('heading', { name: series }).waitFor();
      await page.getByText('转售版税：10%').waitFor();
      await checkPage(page, 'studio-zh-collection');

      const piece = `红鹤 ${run}`;
      await page.getByRole('link', { name: '铸造藏品' }).click();
      await page.getByLabel('图片（PNG、JPEG、GIF、WebP 或 AVIF）').setInputFiles({
        name: 'crane.png',
        mimeType: 'image/png',
        buffer: uniquePng(),
      });
      await page.getByText('已上传', { exact: true }).waitFor();
      await page.getByLabel('名称').fill(piece);
      await page.getByRole('button', { name: '添加属性' }).click();
      await page.getByLabel('特征').fill('颜色');
      await page.getByLabel('值', { exact: true }).fill('朱红');
      await checkPage(page, 'studio-zh-mint');
      await page.getByRole('button', { name: '铸造', exact: true }).click();
      await page.getByText(`将「${piece}」铸造为孤品？`).waitFor();
      await page.getByRole('button', { name: '确认铸造' }).click();
      await page.getByText(`已铸造孤品「${piece}」`).waitFor();
      await checkPage(page, 'studio-zh-mint-done');
      const tokenId = await tokenIdOf(page, `${piece} 孤品`);

      await page.getByRole('link', { name: '设置价格' }).click();
      const card = page.getByTestId('piece').filter({ hasText: piece });
      expect(await card.getByLabel('币种').inputValue()).toBe('CNY');
      await card.getByLabel('价格').fill('88');
      await card.getByRole('button', { name: '上架出售' }).click();
      await card.getByText('售价 ¥88.00').waitFor();
      await checkPage(page, 'studio-zh-priced');
      const offer = (await api('GET', `/catalogue/tokens/${tokenId}`)).body.offer;
      expect(offer).toMatchObject({ priceMinor: 8800, currency: 'CNY' });

      await page.getByRole('link', { name: '收益与提现' }).click();
      await page.getByText('暂无收益').waitFor();
      await checkPage(page, 'studio-zh-earnings');
    } finally {
      await context.close();
    }
  });

  it('shows a rejected application with the operator’s reason, and takes it again', async () => {
    const { context, page, email, password } = await signUpInBrowser(browser, testApp.url, {
      next: '/studio/apply',
    });
    try {
      await page.getByRole('button', { name: 'Apply to become a creator' }).click();
      await page.getByText('Your application is waiting for an operator').waitFor();
      const { id } = await signInThroughApi(email, password);
      const rejected = await api('POST', `/operator/creator-applications/${id}/reject`, {
        token: operator.token,
        body: { reason: 'Please link a portfolio' },
      });
      expect(rejected.status, JSON.stringify(rejected.body)).toBe(200);
      await page.getByRole('button', { name: 'Check again' }).click();
      await page.getByText('The operator wrote: “Please link a portfolio”').waitFor();
      await checkPage(page, 'studio-apply-rejected');
      await page.getByRole('button', { name: 'Apply again' }).click();
      await page.getByText('Your application is waiting for an operator').waitFor();
      // Not a creator yet: the studio's pages lead back to the application.
      await page.goto(`${testApp.url}/studio/earnings`);
      await page.waitForURL((url) => url.pathname === '/studio/apply');
    } finally {
      await context.close();
    }
  });

  it('shows a large upload’s progress', async () => {
    const { context, page, email, password } = await signUpInBrowser(browser, testApp.url);
    try {
      const account = await signInThroughApi(email, password);
      await api('POST', '/me/creator-application', { token: account.token });
      await approve(account.id);
      await page.goto(`${testApp.url}/studio/collections/new`);
      await page.getByLabel('Name', { exact: true }).fill(`Large ${run}`);
      await page.getByRole('button', { name: 'Create collection' }).click();
      await page.getByRole('link', { name: 'Mint pieces' }).click();
      // A slow uplink (about 1 MB/s), so that sending 3 MB takes a few seconds.
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 20,
        downloadThroughput: -1,
        uploadThroughput: 1024 * 1024,
      });
      await page.getByLabel('Image (PNG, JPEG, GIF, WebP or AVIF)').setInputFiles({
        name: 'large.png',
        mimeType: 'image/png',
        buffer: Buffer.concat([uniquePng(), Buffer.alloc(3 * 1024 * 1024, 7)]),
      });
      const progress = page.getByRole('progressbar');
      await progress.waitFor();
      await expect
        .poll(async () => Number(await progress.getAttribute('value')), { timeout: 20_000 })
        .toBeGreaterThan(0);
      await page.getByText('Uploaded', { exact: true }).waitFor({ timeout: 30_000 });
    } finally {
      await context.close();
    }
  });

  it('shows a problem in the person’s words when an upload is refused', async () => {
    const { context, page, email, password } = await signUpInBrowser(browser, testApp.url);
    try {
      const account = await signInThroughApi(email, password);
      await api('POST', '/me/creator-application', { token: account.token });
      await approve(account.id);
      await page.goto(`${testApp.url}/studio/collections/new`);
      await page.getByLabel('Name', { exact: true }).fill(`Refusals ${run}`);
      await page.getByRole('button', { name: 'Create collection' }).click();
      await page.getByRole('link', { name: 'Mint pieces' }).click();
      // Bytes that are no image, sent with no type claim: the API sniffs and refuses them.
      await page.getByLabel('Image (PNG, JPEG, GIF, WebP or AVIF)').setInputFiles({
        name: 'notes.bin',
        mimeType: '',
        buffer: Buffer.from('just some text, not an image'),
      });
      await page.getByText('This file type is not accepted.').waitFor();
      await page.getByLabel('Name', { exact: true }).fill('Nothing yet');
      await page.getByRole('button', { name: 'Mint', exact: true }).click();
      await page.getByText('Upload an image first.').waitFor();
      await checkPage(page, 'studio-mint-refused');
    } finally {
      await context.close();
    }
  });
});
