import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { checkPage, launchBrowser, signUpInBrowser } from './support/browser.js';
import { listedEdition } from './support/checkout.js';
import { createUser } from './support/factories.js';
import { client, type Client } from './support/http.js';
import { startStripeTestServer, type StripeTestServer } from './support/stripe-test-server.js';

/**
 * The storefront of an installation that takes cards through Stripe: it never shows a card form
 * of its own (card numbers must go to Stripe's Payment Element, never to us). Stripe.js cannot be
 * fetched from this machine, so these tests show what a buyer sees when it does not load; the
 * Payment Element itself is Stripe's.
 */
describe('web front with Stripe as the card rail (e2e, headless Chromium)', () => {
  let stripe: StripeTestServer;
  let browser: Browser;
  const apps: TestApp[] = [];

  const stripeApp = async (env: Record<string, string>) => {
    const testApp = await startTestApp(
      {
        STRIPE_SECRET_KEY: 'sk_test_heirloom_e2e',
        STRIPE_WEBHOOK_SECRET: 'whsec_web_stripe_e2e',
        STRIPE_API_HOST: stripe.url,
        ...env,
      },
      undefined,
      { jobs: false },
    );
    apps.push(testApp);
    return { testApp, api: client(testApp.url) };
  };

  /** A listed token of a new creator, and a buyer's browser on its page. */
  const buyerOnItem = async (testApp: TestApp, api: Client) => {
    const creator = await createUser(testApp, api, ['creator']);
    const { tokenId } = await listedEdition(api, creator, 2500);
    const session = await signUpInBrowser(browser, testApp.url);
    // No request leaves for Stripe's servers from here; make that explicit and immediate.
    await session.context.route('https://*.stripe.com/**', (route) => route.abort());
    await session.page.goto(`${testApp.url}/item/${tokenId}`);
    return session;
  };

  beforeAll(async () => {
    stripe = await startStripeTestServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    for (const app of apps) await app.close();
    await stripe?.close();
  });

  it('says which rail takes cards and with which publishable key', async () => {
    const { api } = await stripeApp({ STRIPE_PUBLISHABLE_KEY: 'pk_test_heirloom_e2e' });
    expect((await api('GET', '/checkout/config')).body).toEqual({
      rail: 'stripe',
      stripePublishableKey: 'pk_test_heirloom_e2e',
    });
    const sandbox = await startTestApp({}, undefined, { jobs: false });
    apps.push(sandbox);
    expect((await client(sandbox.url)('GET', '/checkout/config')).body).toEqual({
      rail: 'sandbox',
      stripePublishableKey: null,
    });
  });

  it('loads Stripe.js for the card, never a form of its own, and says so when Stripe.js cannot load', async () => {
    const { testApp, api } = await stripeApp({ STRIPE_PUBLISHABLE_KEY: 'pk_test_heirloom_e2e' });
    const { context, page } = await buyerOnItem(testApp, api);
    try {
      const stripeJs = page.waitForRequest((request) => request.url().startsWith('https://js.stripe.com/'));
      expect((await stripeJs).url()).toMatch(/^https:\/\/js\.stripe\.com\/[a-z0-9]+\/stripe\.js/);
      await page.getByTestId('cards-unavailable').waitFor();
      expect(await page.getByTestId('cards-unavailable').textContent()).toContain(
        "Stripe's secure card form could not be loaded",
      );
      expect(await page.getByLabel('Card number').count()).toBe(0);
      await checkPage(page, 'storefront-stripe-unavailable');
    } finally {
      await context.close();
    }
  });

  it('without a publishable key, tells the buyer card payments are not set up', async () => {
    const { testApp, api } = await stripeApp({});
    const { context, page } = await buyerOnItem(testApp, api);
    try {
      await page.getByText('Card payments are not set up on this site yet').waitFor();
      expect(await page.getByLabel('Card number').count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});
