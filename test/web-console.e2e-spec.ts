import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { checkPage, launchBrowser } from './support/browser.js';
import { cardCheckout, listToken } from './support/checkout.js';
import { createCollection, createUser, mintEditions, type TestUser } from './support/factories.js';
import { client, type Client } from './support/http.js';
import { settleCheckpoint } from './support/ledger.js';

/** Words of the sign-in form per browser language. */
const SIGN_IN = {
  en: { locale: 'en-US', email: 'Email', password: 'Password', submit: 'Sign in' },
  'zh-CN': { locale: 'zh-CN', email: '邮箱', password: '密码', submit: '登录' },
} as const;

describe('web console (e2e, headless Chromium): operators act with a reason, auditors read', () => {
  let testApp: TestApp;
  let api: Client;
  let browser: Browser;
  let creator: TestUser;
  let operator: TestUser;
  let auditor: TestUser;
  let downloads: string;
  const run = randomUUID().slice(0, 8);

  /** A single-edition piece named `name`, minted and listed for sale through the API. */
  const listedPiece = async (name: string) => {
    const collection = await createCollection(api, creator);
    const { tokenIds } = await mintEditions(api, creator, collection.id, 1, name);
    await listToken(api, creator, tokenIds[0], 2500);
    return tokenIds[0];
  };

  /** An account that applied to become a creator, through the API. */
  const applicant = async () => {
    const user = await createUser(testApp, api);
    const applied = await api('POST', '/me/creator-application', { token: user.token });
    expect(applied.status).toBe(200);
    return user;
  };

  /** A browser session of `user` signed in through the /login page, landed in the console. */
  const signIn = async (
    user: TestUser,
    language: keyof typeof SIGN_IN = 'en',
  ): Promise<{ context: BrowserContext; page: Page }> => {
    const words = SIGN_IN[language];
    const context = await browser.newContext({ locale: words.locale, acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(`${testApp.url}/login?next=/console`);
    await page.getByLabel(words.email).fill(user.email);
    await page.getByLabel(words.password).fill(user.password);
    await page.getByRole('button', { name: words.submit }).click();
    await page.waitForURL((url) => url.pathname === '/console/creators');
    return { context, page };
  };

  const consoleNav = (page: Page) => page.getByRole('navigation', { name: 'Console' });

  beforeAll(async () => {
    testApp = await startTestApp();
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
    operator = await createUser(testApp, api, ['operator']);
    auditor = await createUser(testApp, api, ['auditor']);
    browser = await launchBrowser();
    downloads = mkdtempSync(join(tmpdir(), 'heirloom-console-'));
  });
  afterAll(async () => {
    await browser?.close();
    await testApp?.close();
    if (downloads) rmSync(downloads, { recursive: true, force: true });
  });

  it('an operator decides creator applications, finds an account, freezes and unfreezes a piece, audits and reconciles', async () => {
    const approved = await applicant();
    const rejected = await applicant();
    const name = `Jade rabbit ${run}`;
    const tokenId = await listedPiece(name);
    const { context, page } = await signIn(operator);
    try {
      // The header links the console for operators.
      await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Console' }).waitFor();

      // Creator queue: approve one, reject another, each with a reason.
      await page.getByRole('heading', { name: 'Creator queue' }).waitFor();
      await checkPage(page, 'console-creators');
      const approveForm = page.getByRole('form', { name: `Decide on @${approved.handle}` });
      await approveForm.getByLabel(/^Reason/).fill('Portfolio and real name checked');
      await approveForm.getByRole('button', { name: 'Approve' }).click();
      await page.getByText(`@${approved.handle} is now a creator.`).waitFor();
      const rejectForm = page.getByRole('form', { name: `Decide on @${rejected.handle}` });
      await rejectForm.getByLabel(/^Reason/).fill('The sample works are not original');
      await rejectForm.getByRole('button', { name: 'Reject' }).click();
      await page.getByText(`The application of @${rejected.handle} was rejected`).waitFor();
      expect((await api('GET', '/me', { token: approved.token })).body.roles).toContain('creator');
      expect((await api('GET', '/me', { token: rejected.token })).body).toMatchObject({
        creatorStatus: 'rejected',
        creatorRejectionReason: 'The sample works are not original',
      });

      // Account search by handle, then the account's page.
      await consoleNav(page).getByRole('link', { name: 'Accounts' }).click();
      await page.getByLabel('Handle or email').fill(approved.handle);
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByRole('link', { name: `@${approved.handle}` }).waitFor();
      await checkPage(page, 'console-accounts');
      await page.getByRole('link', { name: `@${approved.handle}` }).click();
      await page.getByRole('heading', { name: `@${approved.handle}` }).waitFor();
      await page.getByText('Approved', { exact: true }).waitFor();
      await checkPage(page, 'console-account');

      // Find the listed piece by search and freeze it with a reason.
      await consoleNav(page).getByRole('link', { name: 'Pieces' }).click();
      await page.getByLabel(/^Title, creator/).fill(name);
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByRole('link', { name }).waitFor();
      await checkPage(page, 'console-tokens');
      await page.getByRole('link', { name }).click();
      await page.getByRole('heading', { name }).waitFor();
      await checkPage(page, 'console-token');
      const act = page.getByRole('form', { name: `Act on ${name}` });
      await act.getByLabel(/^Reason/).fill('Reported as copied artwork');
      await act.getByRole('button', { name: 'Freeze' }).click();
      await page.getByText(`${name} is frozen`).waitFor();
      expect((await api('GET', `/catalogue/tokens/${tokenId}`)).body.status).toBe('frozen');

      // The storefront's page shows it frozen, with no checkout.
      await page.getByRole('link', { name: 'Open its storefront page' }).click();
      await page.waitForURL((url) => url.pathname === `/item/${tokenId}`);
      await page.getByTestId('frozen').waitFor();
      expect(await page.getByRole('button', { name: /^Pay / }).count()).toBe(0);
      expect(await page.getByLabel('Card number').count()).toBe(0);

      // Back through the token page's console link; unfreeze it, again with a reason.
      await page.getByRole('link', { name: 'Open in the console' }).click();
      await page.getByRole('heading', { name }).waitFor();
      await act.getByLabel(/^Reason/).fill('The artist showed the original sketches');
      await act.getByRole('button', { name: 'Unfreeze' }).click();
      await page.getByText(`${name} is released`).waitFor();
      expect((await api('GET', `/catalogue/tokens/${tokenId}`)).body.status).toBe('active');

      // Ledger status and an audit replay that finds the ledger clean.
      await settleCheckpoint(testApp);
      await consoleNav(page).getByRole('link', { name: 'Ledger' }).click();
      await page.getByRole('heading', { name: 'Latest checkpoint' }).waitFor();
      await page.getByText(/Co-signed by 1 witness/).waitFor();
      await page.getByRole('button', { name: 'Run the audit replay' }).click();
      await page.getByText('Clean: the ledger and the ownership tables agree.').waitFor();
      await checkPage(page, 'console-ledger');

      // Reconciliation: every view's summary, one view's findings and its CSV.
      await consoleNav(page).getByRole('link', { name: 'Reconciliation' }).click();
      await page.getByRole('heading', { name: /^Payments/ }).waitFor();
      await page.getByRole('button', { name: 'Show the findings of Payments' }).click();
      await page.getByText('No finding: every row reconciles.').or(page.getByRole('table')).first().waitFor();
      await checkPage(page, 'console-reconciliation');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download Payments as CSV' }).click(),
      ]);
      expect(download.suggestedFilename()).toBe('reconciliation-payments.csv');
      const csv = join(downloads, 'payments.csv');
      await download.saveAs(csv);
      expect(readFileSync(csv, 'utf8').split('\n')[0]).toContain('finding');

      // The trail lists what this operator did, with the reasons given.
      await consoleNav(page).getByRole('link', { name: 'Action trail' }).click();
      for (const reason of [
        'Portfolio and real name checked',
        'The sample works are not original',
        'Reported as copied artwork',
        'The artist showed the original sketches',
      ]) {
        await page.getByText(`Reason: ${reason}`).first().waitFor();
      }
      expect(
        await page.locator('.trail li', { hasText: `@${operator.handle}` }).count(),
      ).toBeGreaterThanOrEqual(4);
      await checkPage(page, 'console-trail');

      // Every other console page renders its content without a problem.
      for (const [link, heading, shot] of [
        ['Appeals', 'Appeals of freezes', 'console-appeals'],
        ['Refunds and disputes', 'Refund a sale', 'console-refunds'],
        ['Payouts', 'Payouts', 'console-payouts'],
        ['Policies', 'Platform policies', 'console-policies'],
      ] as const) {
        await consoleNav(page).getByRole('link', { name: link }).click();
        await page.getByRole('heading', { name: heading, exact: true }).waitFor();
        await checkPage(page, shot);
        expect(await page.locator('.problem').count()).toBe(0);
      }
    } finally {
      await context.close();
    }
  });

  it('an operator refunds part of a sale and burns a piece after asking once', async () => {
    const name = `Lacquer box ${run}`;
    const tokenId = await listedPiece(name);
    const buyer = await createUser(testApp, api);
    const paid = await api('POST', '/checkout', { token: buyer.token, body: cardCheckout({ tokenId }) });
    expect(paid.body.status).toBe('paid');
    const { context, page } = await signIn(operator);
    try {
      await consoleNav(page).getByRole('link', { name: 'Refunds and disputes' }).click();
      // Found by the buyer's handle, no order number needed.
      await page.getByLabel('Buyer’s handle').fill(`@${buyer.handle}`);
      await page.getByRole('button', { name: 'Find orders' }).click();
      await page.getByRole('button', { name: 'Choose' }).click();
      await page.getByRole('link', { name: `${name} (1 of 1)` }).waitFor();
      // A pasted receipt link finds it too.
      await page
        .getByLabel('Order number or receipt link')
        .fill(`${testApp.url}/orders/${paid.body.orderId}/receipt.html`);
      await page.getByRole('button', { name: 'Look up' }).click();
      await page.getByRole('link', { name: `${name} (1 of 1)` }).waitFor();
      await page.getByLabel(/^Amount to give back/).fill('30');
      await page.getByText('Enter an amount above zero and at most $25.00.').waitFor();
      await page.getByLabel(/^Amount to give back/).fill('5.50');
      const refund = page.getByRole('form', { name: 'Refund a sale' });
      await refund.getByLabel(/^Reason/).fill('Goodwill: the image arrived late');
      await refund.getByRole('button', { name: 'Refund $5.50' }).click();
      await page.getByText('The buyer gets this amount back and keeps the piece.').waitFor();
      await checkPage(page, 'console-refund-confirm');
      await refund.getByRole('button', { name: 'Yes, Refund $5.50' }).click();
      await page.getByText('The refund is on its way').waitFor();
      const trail = await api('GET', `/operator/actions?subject=${paid.body.orderId}`, {
        token: operator.token,
      });
      expect(trail.body.items[0]).toMatchObject({
        action: 'order.refund',
        reason: 'Goodwill: the image arrived late',
      });

      // Burning asks once, plainly; cancelling leaves the piece as it was.
      await page.goto(`${testApp.url}/console/tokens/${tokenId}`);
      const act = page.getByRole('form', { name: `Act on ${name}` });
      await act.getByLabel(/^Reason/).fill('Court order 2026-118');
      await act.getByRole('button', { name: 'Burn' }).click();
      await act.getByText(`Burning ${name} is for good`).waitFor();
      await act.getByRole('button', { name: 'Cancel' }).click();
      expect((await api('GET', `/catalogue/tokens/${tokenId}`)).body.status).toBe('active');
      await act.getByRole('button', { name: 'Burn' }).click();
      await act.getByRole('button', { name: 'Yes, Burn' }).click();
      await page.getByText(`${name} is burned.`).waitFor();
      expect((await api('GET', `/catalogue/tokens/${tokenId}`)).body).toMatchObject({
        status: 'burned',
        ownerHandle: null,
      });
    } finally {
      await context.close();
    }
  });

  it('an auditor sees the console read-only, without any action button', async () => {
    const waiting = await applicant();
    const name = `Bronze mirror ${run}`;
    const tokenId = await listedPiece(name);
    const { context, page } = await signIn(auditor);
    try {
      await page.getByTestId('read-only').waitFor();
      await page.getByRole('link', { name: `@${waiting.handle}` }).waitFor();
      await checkPage(page, 'console-auditor-creators');
      expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Reject' }).count()).toBe(0);

      await page.goto(`${testApp.url}/console/tokens/${tokenId}`);
      await page.getByRole('heading', { name }).waitFor();
      await checkPage(page, 'console-auditor-token');
      for (const action of ['Freeze', 'Unfreeze', 'Burn'])
        expect(await page.getByRole('button', { name: action }).count()).toBe(0);
      expect(await page.getByRole('textbox').count()).toBe(0);

      // Auditors do not search accounts (emails are personal data); they open one from a list.
      await consoleNav(page).getByRole('link', { name: 'Accounts' }).click();
      await page.getByText('Auditors do not search accounts').waitFor();
      expect(await page.getByLabel('Handle or email').count()).toBe(0);
      await consoleNav(page).getByRole('link', { name: 'Creator queue' }).click();
      await page.getByRole('link', { name: `@${waiting.handle}` }).click();
      await page.getByRole('heading', { name: `@${waiting.handle}` }).waitFor();
      await page.getByText('Waiting for a decision').waitFor();
      expect(await page.getByRole('button', { name: 'Freeze account' }).count()).toBe(0);

      for (const [link, heading] of [
        ['Refunds and disputes', 'Open disputes'],
        ['Payouts', 'Payouts'],
        ['Policies', 'Platform policies'],
      ] as const) {
        await consoleNav(page).getByRole('link', { name: link }).click();
        await page.getByRole('heading', { name: heading, exact: true }).waitFor();
        await page.waitForLoadState('networkidle');
        expect(await page.locator('main form').count()).toBe(0);
      }
      await checkPage(page, 'console-auditor-policies');

      // Reading is allowed: the audit replay is a read-only check auditors may run.
      await consoleNav(page).getByRole('link', { name: 'Ledger' }).click();
      await page.getByRole('button', { name: 'Run the audit replay' }).click();
      await page.getByTestId('replay-result').waitFor();
    } finally {
      await context.close();
    }
  });

  it('a collector who opens /console is told it is not for them', async () => {
    const collector = await createUser(testApp, api);
    const context = await browser.newContext({ locale: 'en-US' });
    try {
      const page = await context.newPage();
      await page.goto(`${testApp.url}/login?next=/console`);
      await page.getByLabel('Email').fill(collector.email);
      await page.getByLabel('Password').fill(collector.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('The console is for operators and auditors.').waitFor();
      expect(await page.getByRole('link', { name: 'Console' }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('speaks Simplified Chinese: an operator freezes a piece with a reason', async () => {
    const name = `青花瓷 ${run}`;
    const tokenId = await listedPiece(name);
    const { context, page } = await signIn(operator, 'zh-CN');
    try {
      await page.getByRole('heading', { name: '创作者申请' }).waitFor();
      await page.goto(`${testApp.url}/console/tokens/${tokenId}`);
      await page.getByRole('heading', { name }).waitFor();
      const act = page.getByRole('form', { name: `处理${name}` });
      await act.getByLabel(/^原因/).fill('涉嫌抄袭，待核实');
      await act.getByRole('button', { name: '冻结' }).click();
      await page.getByText(`${name} 已冻结`).waitFor();
      await checkPage(page, 'console-token-zh');
      expect((await api('GET', `/catalogue/tokens/${tokenId}`)).body.status).toBe('frozen');
      const trail = await api('GET', `/operator/actions?subject=${tokenId}`, { token: operator.token });
      expect(trail.body.items[0]).toMatchObject({ action: 'token.freeze', reason: '涉嫌抄袭，待核实' });
    } finally {
      await context.close();
    }
  });

  it('keeps the console out of the storefront’s initial JavaScript (≤ 200 KB gzipped)', async () => {
    const html = await (await fetch(`${testApp.url}/`)).text();
    const scripts = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((match) => match[1]);
    expect(scripts.length).toBeGreaterThan(0);
    expect(scripts.some((script) => /Console/.test(script))).toBe(false);
    let gzipped = 0;
    for (const script of scripts) {
      const body = Buffer.from(await (await fetch(`${testApp.url}${script}`)).arrayBuffer());
      expect(body.toString('utf8')).not.toContain('Operator action trail');
      gzipped += gzipSync(body).length;
    }
    expect(gzipped).toBeLessThanOrEqual(200 * 1024);
  });
});
