import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, startTestApp, type TestApp } from './support/app.js';
import { cardCheckout, listedEdition } from './support/checkout.js';
import { createUser, type TestUser } from './support/factories.js';
import { client, type Client } from './support/http.js';

// Issue 10: settlement is reached the same way on both rails. The sandbox's signed event enters the
// webhook inbox as Stripe's does, and the checkout answers with the order as the database has it.
describe('sandbox settlement path (e2e, real PostgreSQL)', () => {
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;

  const paidCheckout = async () => {
    const { listingId } = await listedEdition(api, creator, 2500);
    const buyer = await createUser(testApp, api);
    const response = await api('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ listingId }),
    });
    expect(response.status).toBe(201);
    return response.body as { orderId: string; paymentId: string; status: string; card: { last4: string } };
  };
  const committed = async (orderId: string) =>
    (
      await sql(
        testApp.databaseUrl,
        `SELECT status, payment_id, card_last4, paid_at FROM orders WHERE id = $1`,
        [orderId],
      )
    )[0];

  beforeAll(async () => {
    testApp = await startTestApp({ SANDBOX_DISPUTE_DELAY_MS: '86400000' });
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
  });
  afterAll(() => testApp.close());

  it('settles through the signed event stored in the inbox, and answers the committed order', async () => {
    const answer = await paidCheckout();
    expect(answer).toMatchObject({ status: 'paid', card: { last4: '4242' } });
    const order = await committed(answer.orderId);
    expect(order).toMatchObject({ status: 'paid', payment_id: answer.paymentId, card_last4: '4242' });
    expect(order.paid_at).not.toBeNull();
    const events = await sql(
      testApp.databaseUrl,
      `SELECT type, outcome, processed_at, raw_body IS NOT NULL AS has_body, signature FROM payment_events
       WHERE payment_id = $1`,
      [answer.paymentId],
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'payment_intent.succeeded', outcome: 'settled', has_body: true });
    expect(events[0].processed_at).not.toBeNull();
    // Signed as Stripe signs (verified by the same receive path as POST /webhooks/stripe).
    expect(events[0].signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}/);
  });

  it('answers concurrent checkouts each with its own committed order', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () => paidCheckout()));
    for (const answer of answers) {
      expect(answer.status).toBe('paid');
      expect(await committed(answer.orderId)).toMatchObject({ status: 'paid', payment_id: answer.paymentId });
    }
    expect(new Set(answers.map((answer) => answer.orderId)).size).toBe(answers.length);
  });
});
