import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PAYOUT_STUCK_ATTEMPTS,
  PayoutsService,
  transferGroupOf,
  transferIdempotencyKey,
} from '../libs/payouts/src/index.js';
import { createScratchDatabase, sql, startTestApp, type TestApp } from './support/app.js';
import { cardCheckout, journalImbalance, listedEdition, postEvent } from './support/checkout.js';
import { createUser, type TestUser } from './support/factories.js';
import { client, type Client, expectProblem } from './support/http.js';
import { startStripeFaultProxy, type StripeFaultProxy } from './support/stripe-fault-proxy.js';
import { startStripeTestServer, type StripeTestServer } from './support/stripe-test-server.js';

const WEBHOOK_SECRET = `whsec_test_${randomUUID().replaceAll('-', '')}`;
/** Stripe signs connected accounts' events with the Connect endpoint's own secret. */
const CONNECT_WEBHOOK_SECRET = `whsec_connect_${randomUUID().replaceAll('-', '')}`;
/** What a creator earns on a primary sale at 3000 (processor 117, platform 150). */
const EARNED = 2733;
const HOUR_MS = 3_600_000;

describe('payouts over Stripe Connect (e2e: real Stripe SDK against the local Stripe API)', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let stripe: StripeTestServer;
  let proxy: StripeFaultProxy;
  /** Sells on the sandbox card rail, so that creators have earnings to be paid out. */
  let shopApp: TestApp;
  /** Pays out over Stripe Connect, on the same database; jobs off, the test runs the retry job. */
  let connectApp: TestApp;
  let shop: Client;
  let api: Client;
  let operator: TestUser;
  let retryJob: PayoutsService;

  const creatorWhoSold = async () => {
    const creator = await createUser(shopApp, shop, ['creator']);
    const { listingId } = await listedEdition(shop, creator, 3000);
    const buyer = await createUser(shopApp, shop);
    const paid = await shop('POST', '/checkout', { token: buyer.token, body: cardCheckout({ listingId }) });
    expect(paid.body.status, JSON.stringify(paid.body)).toBe('paid');
    return creator;
  };
  const payout = (as: TestUser, amountMinor: number, idempotencyKey = `po-${randomUUID()}`) =>
    api('POST', '/me/payouts', { token: as.token, body: { amountMinor, currency: 'USD', idempotencyKey } });
  const balance = async (as: TestUser) =>
    (await api('GET', '/me/earnings', { token: as.token })).body.balances.find(
      (b: { currency: string }) => b.currency === 'USD',
    );
  const onboard = (as: TestUser) => api('POST', '/me/payouts/onboarding', { token: as.token });
  /** Stripe's `account.updated` for the account as the local Stripe holds it, signed, dated `created`. */
  const accountUpdated = (
    account: Record<string, unknown>,
    created = Math.floor(Date.now() / 1000),
    secret = CONNECT_WEBHOOK_SECRET,
  ) => {
    const payload = JSON.stringify({
      id: `evt_${randomUUID().replaceAll('-', '')}`,
      object: 'event',
      api_version: '2025-01-27.acacia',
      account: account.id,
      created,
      livemode: false,
      type: 'account.updated',
      data: { object: account },
    });
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret });
    return postEvent(api, { payload, signature });
  };
  /** A creator with earnings whose Stripe onboarding is done (told by the webhook). */
  const onboardedCreator = async () => {
    const creator = await creatorWhoSold();
    const { connectedAccountId } = (await onboard(creator)).body;
    expect((await accountUpdated(stripe.completeOnboarding(connectedAccountId))).status).toBe(200);
    return { creator, connectedAccountId: connectedAccountId as string };
  };
  const transfersOf = (payoutId: string) =>
    stripe.transfers.filter((t) => (t.metadata as Record<string, string>).payout_id === payoutId);
  const payoutRow = async (id: string) =>
    (await sql(scratch.url, `SELECT status, attempts, next_attempt_at FROM payouts WHERE id = $1`, [id]))[0];

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    stripe = await startStripeTestServer();
    proxy = await startStripeFaultProxy(stripe.url);
    shopApp = await startTestApp({ EARNINGS_HOLD_DAYS: '0' }, scratch.url, { jobs: false });
    connectApp = await startTestApp(
      {
        EARNINGS_HOLD_DAYS: '0',
        STRIPE_SECRET_KEY: 'sk_test_heirloom_connect',
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        STRIPE_CONNECT_WEBHOOK_SECRET: CONNECT_WEBHOOK_SECRET,
        STRIPE_API_HOST: proxy.url,
        STRIPE_TIMEOUT_MS: '1000',
        // Each failure the test injects is one attempt of ours, not hidden by the SDK's own retries.
        STRIPE_MAX_NETWORK_RETRIES: '0',
        PUBLIC_URL: 'https://heirloom.example',
      },
      scratch.url,
      { jobs: false },
    );
    shop = client(shopApp.url);
    api = client(connectApp.url);
    operator = await createUser(connectApp, api, ['operator']);
    retryJob = connectApp.app.get(PayoutsService);
  });
  afterAll(async () => {
    await connectApp?.close();
    await shopApp?.close();
    await proxy?.close();
    await stripe?.close();
    await scratch?.drop();
  });

  it('refuses a payout before onboarding (409); onboarding makes one Express account and a link back to the platform', async () => {
    const creator = await creatorWhoSold();
    const early = await payout(creator, 1000);
    expectProblem(early, 409, 'payout-onboarding-required');
    expect(early.body.detail).toMatch(/POST \/me\/payouts\/onboarding/);
    expect((await api('GET', '/me/payouts/onboarding', { token: creator.token })).body).toEqual({
      rail: 'stripe',
      onboardingRequired: true,
      connectedAccountId: null,
      payoutsEnabled: false,
      detailsSubmitted: false,
      onboardingUrl: null,
      onboardingUrlExpiresAt: null,
    });

    const before = stripe.requests.length;
    const first = await onboard(creator);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ rail: 'stripe', onboardingRequired: true, payoutsEnabled: false });
    expect(first.body.connectedAccountId).toMatch(/^acct_/);
    expect(first.body.onboardingUrl).toMatch(/^https:\/\/connect\.stripe\.com\/setup\/e\/acct_/);
    expect(Date.parse(first.body.onboardingUrlExpiresAt)).toBeGreaterThan(Date.now());
    const calls = stripe.requests.slice(before);
    const created = calls.find((r) => r.method === 'POST' && r.path === '/v1/accounts');
    expect(created?.body).toMatchObject({
      type: 'express',
      capabilities: { transfers: { requested: 'true' } },
      metadata: { heirloom_account_id: creator.id },
    });
    expect(created?.idempotencyKey).toBe(`connected-account:${creator.id}`);
    expect(calls.find((r) => r.path === '/v1/account_links')?.body).toEqual({
      account: first.body.connectedAccountId,
      type: 'account_onboarding',
      refresh_url: 'https://heirloom.example/payouts/onboarding/refresh',
      return_url: 'https://heirloom.example/payouts/onboarding/return',
    });

    // Asking again (the link expired) gives a fresh link to the same account; no second account.
    const again = await onboard(creator);
    expect(again.body.connectedAccountId).toBe(first.body.connectedAccountId);
    expect(again.body.onboardingUrl).not.toBe(first.body.onboardingUrl);
    const accountsMade = stripe.requests.filter(
      (r) =>
        r.method === 'POST' &&
        r.path === '/v1/accounts' &&
        (r.body.metadata as Record<string, string>).heirloom_account_id === creator.id,
    );
    expect(accountsMade).toHaveLength(1);
    expect(
      (
        await sql(scratch.url, `SELECT count(*)::int AS n FROM payout_accounts WHERE account_id = $1`, [
          creator.id,
        ])
      )[0].n,
    ).toBe(1);

    // Onboarding not finished: still 409, and the balance is untouched.
    expectProblem(await payout(creator, 1000), 409, 'payout-onboarding-required');
    expect(await balance(creator)).toMatchObject({ availableMinor: EARNED, inTransitMinor: 0 });
    const pages = await Promise.all(
      ['return', 'refresh'].map((p) => fetch(`${connectApp.url}/payouts/onboarding/${p}`)),
    );
    expect(pages.map((p) => p.status)).toEqual([200, 200]);
  });

  it('account.updated enables payouts (an older event changes nothing); a payout is one transfer of its amount to the connected account, keyed by the payout id', async () => {
    const creator = await creatorWhoSold();
    const { connectedAccountId } = (await onboard(creator)).body;
    const enabled = stripe.completeOnboarding(connectedAccountId);
    const delivered = await accountUpdated(enabled);
    expect(delivered.status, JSON.stringify(delivered.body)).toBe(200);
    const stored = await sql(
      scratch.url,
      `SELECT payouts_enabled FROM payout_accounts WHERE account_id = $1`,
      [creator.id],
    );
    expect(stored).toEqual([{ payouts_enabled: true }]);
    // An event from an hour before (delivered late, here to the account endpoint) does not undo it.
    const stale = { ...enabled, payouts_enabled: false, details_submitted: false };
    const anHourAgo = Math.floor((Date.now() - HOUR_MS) / 1000);
    expect((await accountUpdated(stale, anHourAgo, WEBHOOK_SECRET)).status).toBe(200);
    // Nor does one signed by nobody we know.
    expectProblem(await accountUpdated(stale, undefined, 'whsec_not_ours_at_all'), 400, 'invalid-webhook');
    expect((await api('GET', '/me/payouts/onboarding', { token: creator.token })).body).toMatchObject({
      connectedAccountId,
      payoutsEnabled: true,
      detailsSubmitted: true,
      onboardingUrl: null,
    });
    const outcomes = await sql(
      scratch.url,
      `SELECT outcome FROM payment_events WHERE type = 'account.updated' AND payload->>'connectedAccountId' = $1`,
      [connectedAccountId],
    );
    expect(outcomes.map((o) => o.outcome)).toEqual(['handed-to-payouts', 'handed-to-payouts']);

    const paid = await payout(creator, 1234, 'connect-first');
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    expect(paid.body).toMatchObject({
      amountMinor: 1234,
      currency: 'USD',
      status: 'paid',
      rail: 'stripe',
      attempts: 1,
    });
    const [transfer] = transfersOf(paid.body.id);
    expect(transfersOf(paid.body.id)).toHaveLength(1);
    expect(paid.body.railRef).toBe(transfer.id);
    expect(transfer).toMatchObject({
      amount: 1234,
      currency: 'usd',
      destination: connectedAccountId,
      transfer_group: transferGroupOf(paid.body.id),
      metadata: { payout_id: paid.body.id, account_id: creator.id },
    });
    const sent = stripe.requests.filter((r) => r.path === '/v1/transfers' && r.method === 'POST');
    expect(sent.at(-1)?.idempotencyKey).toBe(transferIdempotencyKey(paid.body.id));

    // The same request again answers the same payout and pays nothing more.
    const again = await payout(creator, 1234, 'connect-first');
    expect(again.body.id).toBe(paid.body.id);
    expect(transfersOf(paid.body.id)).toHaveLength(1);
    expect(await balance(creator)).toEqual({
      currency: 'USD',
      pendingMinor: 0,
      availableMinor: EARNED - 1234,
      inTransitMinor: 0,
      paidOutMinor: 1234,
    });
    expect(await journalImbalance(scratch.url)).toEqual([]);
  });

  it('an operator run transfers every onboarded account’s balance and skips the accounts still onboarding', async () => {
    const { creator: ready, connectedAccountId } = await onboardedCreator();
    const waiting = await creatorWhoSold();
    expect((await onboard(waiting)).status).toBe(200);
    const run = await api('POST', '/operator/payouts/run', {
      token: operator.token,
      body: { runKey: `connect-run-${randomUUID()}` },
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const mine = run.body.payouts.filter((p: { accountId: string }) =>
      [ready.id, waiting.id].includes(p.accountId),
    );
    expect(mine).toEqual([
      expect.objectContaining({ accountId: ready.id, amountMinor: EARNED, status: 'paid', rail: 'stripe' }),
    ]);
    expect(transfersOf(mine[0].id)).toEqual([
      expect.objectContaining({ amount: EARNED, currency: 'usd', destination: connectedAccountId }),
    ]);
    expect(await balance(waiting)).toMatchObject({ availableMinor: EARNED, inTransitMinor: 0 });
  });

  it('a transfer Stripe refuses (402) fails the payout and returns its amount to the balance', async () => {
    const { creator } = await onboardedCreator();
    stripe.failNext(1, 402, 'insufficient_funds');
    const refused = await payout(creator, 1000);
    expect(refused.status, JSON.stringify(refused.body)).toBe(201);
    expect(refused.body).toMatchObject({
      status: 'failed',
      failureCode: 'insufficient-funds',
      railRef: null,
    });
    expect(transfersOf(refused.body.id)).toHaveLength(0);
    expect(await balance(creator)).toMatchObject({
      availableMinor: EARNED,
      inTransitMinor: 0,
      paidOutMinor: 0,
    });
    // A failed payout is settled: the retry job never sends it again.
    await retryJob.retryDue(new Date(Date.now() + 24 * HOUR_MS));
    expect(transfersOf(refused.body.id)).toHaveLength(0);
    expect(await journalImbalance(scratch.url)).toEqual([]);
  });

  it('a transfer with no answer (5xx) stays pending; the retry job, after its backoff, completes it exactly once', async () => {
    const { creator, connectedAccountId } = await onboardedCreator();
    stripe.failNext(1, 503);
    const pending = await payout(creator, 700);
    expect(pending.status, JSON.stringify(pending.body)).toBe(201);
    expect(pending.body).toMatchObject({ status: 'pending', attempts: 1, railRef: null });
    expect(Date.parse(pending.body.nextAttemptAt)).toBeGreaterThan(Date.now());
    expect(await balance(creator)).toMatchObject({ availableMinor: EARNED - 700, inTransitMinor: 700 });
    // The account sees no internals; operators see the rail's error.
    expect(pending.body.lastError).toBeNull();
    const listed = await api('GET', `/operator/payouts?accountId=${creator.id}&status=pending`, {
      token: operator.token,
    });
    expect(listed.body.items[0]).toMatchObject({ id: pending.body.id, attempts: 1 });
    expect(listed.body.items[0].lastError).toMatch(/503|Injected failure/);

    // Not due yet: nothing is sent.
    await retryJob.retryDue(new Date());
    expect(transfersOf(pending.body.id)).toHaveLength(0);

    const due = new Date(Date.parse(pending.body.nextAttemptAt) + 1);
    await retryJob.retryDue(due);
    await retryJob.retryDue(new Date(due.getTime() + HOUR_MS));
    const [transfer] = transfersOf(pending.body.id);
    expect(transfersOf(pending.body.id)).toHaveLength(1);
    expect(transfer).toMatchObject({ amount: 700, currency: 'usd', destination: connectedAccountId });
    const mine = (await api('GET', '/me/payouts', { token: creator.token })).body.items;
    expect(mine.find((p: { id: string }) => p.id === pending.body.id)).toMatchObject({
      status: 'paid',
      railRef: transfer.id,
      attempts: 2,
      nextAttemptAt: null,
    });
    const keys = stripe.requests
      .filter((r) => r.method === 'POST' && r.path === '/v1/transfers' && r.body.metadata)
      .filter((r) => (r.body.metadata as Record<string, string>).payout_id === pending.body.id)
      .map((r) => r.idempotencyKey);
    expect(keys).toEqual([transferIdempotencyKey(pending.body.id), transferIdempotencyKey(pending.body.id)]);
    expect(await balance(creator)).toMatchObject({
      availableMinor: EARNED - 700,
      inTransitMinor: 0,
      paidOutMinor: 700,
    });
  });

  it('a transfer Stripe made but whose answer was lost is found on the retry, not made again', async () => {
    const { creator } = await onboardedCreator();
    proxy.mode = 'swallow';
    let pending;
    try {
      pending = await payout(creator, 555);
    } finally {
      proxy.mode = 'forward';
    }
    expect(pending.body).toMatchObject({ status: 'pending', attempts: 1 });
    // Stripe did transfer; we never heard.
    expect(transfersOf(pending.body.id)).toHaveLength(1);
    await retryJob.retryDue(new Date(Date.now() + HOUR_MS));
    expect(transfersOf(pending.body.id)).toHaveLength(1);
    expect((await payoutRow(pending.body.id)).status).toBe('paid');
    const [row] = await sql(scratch.url, `SELECT rail_ref FROM payouts WHERE id = $1`, [pending.body.id]);
    expect(row.rail_ref).toBe(transfersOf(pending.body.id)[0].id);
    expect(await balance(creator)).toMatchObject({ inTransitMinor: 0, paidOutMinor: 555 });
  });

  it('a payout that keeps failing is never given up: operators get a payout-stuck alert and see it pending', async () => {
    const { creator } = await onboardedCreator();
    stripe.failNext(1000, 500);
    try {
      const pending = await payout(creator, 900);
      expect(pending.body.status).toBe('pending');
      let at = Date.now();
      for (let attempt = 2; attempt <= PAYOUT_STUCK_ATTEMPTS; attempt++) {
        at += 2 * HOUR_MS;
        await retryJob.retryDue(new Date(at));
      }
      expect(await payoutRow(pending.body.id)).toMatchObject({
        status: 'pending',
        attempts: PAYOUT_STUCK_ATTEMPTS,
      });
      const alerts = await api('GET', '/operator/ledger/alerts?kind=payout-stuck', { token: operator.token });
      expect(alerts.status).toBe(200);
      const alert = alerts.body.find((a: { subject: string }) => a.subject === `payout:${pending.body.id}`);
      expect(alert).toMatchObject({ kind: 'payout-stuck', count: 1 });
      expect(alert.detail).toMatch(/900 minor units of USD/);
      const listed = await api('GET', `/operator/payouts?accountId=${creator.id}&status=pending`, {
        token: operator.token,
      });
      expect(listed.body.items.map((p: { id: string }) => p.id)).toEqual([pending.body.id]);

      // Stripe is back: the next run of the job pays it, once.
      stripe.failNext(0);
      await retryJob.retryDue(new Date(at + 24 * HOUR_MS));
      await retryJob.retryDue(new Date(at + 48 * HOUR_MS));
      expect(transfersOf(pending.body.id)).toHaveLength(1);
      expect(await payoutRow(pending.body.id)).toMatchObject({ status: 'paid' });
    } finally {
      stripe.failNext(0);
    }
  });
});
