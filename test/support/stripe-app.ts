import { startTestApp, type TestApp } from './app.js';
import { createUser, type TestUser } from './factories.js';
import { client, type Client } from './http.js';
import { startStripeFaultProxy, type StripeFaultProxy } from './stripe-fault-proxy.js';
import { startStripeTestServer, type StripeTestServer } from './stripe-test-server.js';

export interface StripeShop {
  stripe: StripeTestServer;
  /** Between the app and Stripe: set `mode` to inject faults. */
  proxy: StripeFaultProxy;
  testApp: TestApp;
  api: Client;
  creator: TestUser;
  close(): Promise<void>;
}

/**
 * The app in Stripe mode (jobs off) whose Stripe SDK talks to the local Stripe server through a
 * fault proxy, with a creator to list editions.
 */
export async function startStripeShop(options: {
  webhookSecret: string;
  timeoutMs: number;
  maxNetworkRetries: number;
}): Promise<StripeShop> {
  const stripe = await startStripeTestServer();
  const proxy = await startStripeFaultProxy(stripe.url);
  const testApp = await startTestApp(
    {
      STRIPE_SECRET_KEY: 'sk_test_heirloom_e2e',
      STRIPE_WEBHOOK_SECRET: options.webhookSecret,
      STRIPE_API_HOST: proxy.url,
      STRIPE_TIMEOUT_MS: String(options.timeoutMs),
      STRIPE_MAX_NETWORK_RETRIES: String(options.maxNetworkRetries),
    },
    undefined,
    { jobs: false },
  );
  const api = client(testApp.url);
  const creator = await createUser(testApp, api, ['creator']);
  const close = async () => {
    await testApp.close();
    await proxy.close();
    await stripe.close();
  };
  return { stripe, proxy, testApp, api, creator, close };
}
