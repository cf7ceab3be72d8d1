import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RefundService } from '../libs/settlement/src/index.js';
import { createScratchDatabase, startTestApp, type TestApp } from './support/app.js';
import { chargeRefunded, listedEdition, postEvent, signedEvent } from './support/checkout.js';
import { createUser, type TestUser } from './support/factories.js';
import { client, type Client, expectProblem } from './support/http.js';
import { startStripeTestServer, type StripeTestServer } from './support/stripe-test-server.js';

const WEBHOOK_SECRET = `whsec_test_${randomUUID().replaceAll('-', '')}`;
const PRICE = 2500;

describe('reconciliation with Stripe: balance transactions ↔ the journal (e2e, real SDK, local Stripe API)', () => {
  let stripe: StripeTestServer;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;
  let operator: TestUser;
  let auditor: TestUser;

  /** A Stripe checkout with pm_card_visa; Stripe captures at once, the sale waits for the webhook. */
  const checkout = async () => {
    const { listingId } = await listedEdition(api, creator, PRICE);
    const buyer = await createUser(testApp, api);
    const response = await api('POST', '/checkout', {
      token: buyer.token,
      body: { listingId, idempotencyKey: `co-${randomUUID()}`, paymentMethodId: 'pm_card_visa' },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return { orderId: response.body.orderId as string, paymentId: response.body.paymentId as string };
  };
  const succeeded = (paymentId: string) =>
    postEvent(api, signedEvent(WEBHOOK_SECRET, 'payment_intent.succeeded', stripe.paymentIntent(paymentId)!));
  const processorView = () => api('GET', '/operator/reconciliation/processor', { token: auditor.token });
  const balanceTransactionCalls = () =>
    stripe.requests.filter(
      (request) => request.method === 'GET' && request.path === '/v1/balance_transactions',
    );

  beforeAll(async () => {
    stripe = await startStripeTestServer();
    // Small pages, so that reading every balance transaction takes the SDK's auto-pagination.
    stripe.balanceTransactionsPageSize = 2;
    scratch = await createScratchDatabase();
    testApp = await startTestApp(
      {
        STRIPE_SECRET_KEY: 'sk_test_heirloom_e2e',
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        STRIPE_API_HOST: stripe.url,
      },
      scratch.url,
      { jobs: false },
    );
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
    operator = await createUser(testApp, api, ['operator']);
    auditor = await createUser(testApp, api, ['auditor']);
  });
  afterAll(async () => {
    await testApp?.close();
    await stripe?.close();
    await scratch?.drop();
  });

  it('matches every capture and refund in Stripe’s balance transactions with the journal, page by page', async () => {
    const sales = [await checkout(), await checkout(), await checkout()];
    for (const sale of sales) expect((await succeeded(sale.paymentId)).status).toBe(200);
    const [refunded] = sales;
    const refund = await api('POST', `/operator/orders/${refunded.orderId}/refund`, {
      token: operator.token,
      body: { reason: 'partial refund', amountMinor: 500 },
    });
    expect(refund.status, JSON.stringify(refund.body)).toBe(202);
    await testApp.app.get(RefundService).sendPending();
    const booked = chargeRefunded(WEBHOOK_SECRET, { ...refunded, amount: PRICE, refunded: 500 });
    expect((await postEvent(api, booked)).status).toBe(200);

    const before = balanceTransactionCalls().length;
    const view = await processorView();
    expect(view.status).toBe(200);
    expect(view.body).toEqual({
      summary: {
        view: 'processor',
        clean: true,
        checked: 3,
        findings: 0,
        byKind: [],
        totals: [{ currency: 'USD', checkedMinor: 3 * PRICE, findingsMinor: 0 }],
      },
      findings: [],
      nextCursor: null,
    });
    // Four balance transactions (three charges, a refund) in pages of two: the SDK followed the cursor.
    const calls = balanceTransactionCalls().slice(before);
    expect(calls).toHaveLength(2);
    expect(calls[0].body).toMatchObject({ expand: { 0: 'data.source' } });
    expect(calls[1].body.starting_after).toMatch(/^txn_/);

    const overview = await api('GET', '/operator/reconciliation', { token: auditor.token });
    expect(overview.body.clean, JSON.stringify(overview.body)).toBe(true);
  });

  it('reports a capture Stripe made that the journal never booked, in JSON and CSV', async () => {
    // Stripe captured, but its webhook never arrived: the money is there, no sale is.
    const lost = await checkout();
    const view = await processorView();
    expect(view.body.summary).toMatchObject({
      clean: false,
      findings: 1,
      byKind: [{ kind: 'captured-not-booked', count: 1 }],
    });
    expect(view.body.findings).toEqual([
      {
        finding: 'captured-not-booked',
        paymentId: lost.paymentId,
        currency: 'USD',
        capturedMinor: PRICE,
        bookedCapturedMinor: 0,
        refundedMinor: 0,
        bookedRefundedMinor: 0,
      },
    ]);
    const csv = await api('GET', '/operator/reconciliation/processor.csv', { token: auditor.token });
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(parse(csv.body as string, { columns: true })).toEqual([
      {
        finding: 'captured-not-booked',
        paymentId: lost.paymentId,
        currency: 'USD',
        capturedMinor: String(PRICE),
        bookedCapturedMinor: '0',
        refundedMinor: '0',
        bookedRefundedMinor: '0',
      },
    ]);
    // The platform never accepted that payment: its own books still pair every payment with a sale.
    const payments = await api('GET', '/operator/reconciliation/payments', { token: auditor.token });
    expect(payments.body.summary).toMatchObject({ clean: true, checked: 3 });

    // Stripe out of reach (every attempt fails, retries too): 503, in JSON and before any CSV byte.
    stripe.failNext(10, 500);
    expectProblem(await processorView(), 503, 'payment-provider-unavailable');
    stripe.failNext(10, 500);
    const unreachable = await api('GET', '/operator/reconciliation/processor.csv', { token: auditor.token });
    expectProblem(unreachable, 503, 'payment-provider-unavailable');
    stripe.failNext(0);

    // Once the webhook arrives, the sale is booked and the books agree again.
    expect((await succeeded(lost.paymentId)).status).toBe(200);
    expect((await processorView()).body.summary).toMatchObject({ clean: true, checked: 4 });
  });
});
