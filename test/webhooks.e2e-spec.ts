import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../libs/database/src/index.js';
import { emitEvents } from '../libs/webhooks/src/index.js';
import { sql, startTestApp, type TestApp } from './support/app.js';
import { cardCheckout, chargeRefunded, listedEdition, openDrop, postEvent } from './support/checkout.js';
import { createUser, type TestUser } from './support/factories.js';
import { client, type Client, expectProblem } from './support/http.js';
import { eventually, startReceiver, type ReceivedWebhook } from './support/webhook-receiver.js';

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

describe('webhooks for integrators (e2e, local receiver, real PostgreSQL)', () => {
  let testApp: TestApp;
  let api: Client;
  let receiver: Receiver;
  let operator: TestUser;
  /** Per path: answers 500 this many times before answering 200. */
  const failFirst = new Map<string, number>();

  const register = (
    user: TestUser,
    path: string,
    eventTypes: string[],
    extra: Record<string, unknown> = {},
  ) =>
    api('POST', '/me/webhooks', {
      token: user.token,
      body: { url: receiver.url(path), eventTypes, idempotencyKey: `wh-${randomUUID()}`, ...extra },
    });
  const endpointFor = async (user: TestUser, eventTypes: string[], extra: Record<string, unknown> = {}) => {
    const path = `/hooks/${randomUUID()}`;
    const created = await register(user, path, eventTypes, extra);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return { path, id: created.body.id as string, secret: created.body.secret as string };
  };
  /** A fresh creator's 1-of-1 bought with a card by a fresh buyer. */
  const sale = async (price = 2500) => {
    const creator = await createUser(testApp, api, ['creator']);
    const buyer = await createUser(testApp, api);
    const { listingId, tokenId } = await listedEdition(api, creator, price);
    return { creator, buyer, listingId, tokenId };
  };
  const checkout = async (buyer: TestUser, listingId: string) => {
    const paid = await api('POST', '/checkout', { token: buyer.token, body: cardCheckout({ listingId }) });
    expect(paid.body.status, JSON.stringify(paid.body)).toBe('paid');
    return paid.body.orderId as string;
  };
  /** The payloads an endpoint received of one event type. */
  const receivedOf = (path: string, type: string) =>
    receiver
      .on(path)
      .map(payloadOf)
      .filter((payload) => payload.type === type);
  const payloadOf = (request: ReceivedWebhook) => JSON.parse(request.body);
  const deliveries = (user: TestUser, endpointId: string, query = '') =>
    api('GET', `/me/webhooks/${endpointId}/deliveries${query}`, { token: user.token });

  beforeAll(async () => {
    receiver = await startReceiver((request, count) => {
      const failures = failFirst.get(request.path) ?? 0;
      return count <= failures ? { status: 500, body: `busy ${count}` } : { status: 200, body: 'thanks' };
    });
    testApp = await startTestApp({
      EARNINGS_HOLD_DAYS: '0',
      WEBHOOK_POLL_INTERVAL_MS: '50',
      WEBHOOK_RETRY_SCHEDULE_MS: '100,100,100',
      WEBHOOK_TIMEOUT_MS: '2000',
    });
    api = client(testApp.url);
    operator = await createUser(testApp, api, ['operator']);
  });
  afterAll(async () => {
    await testApp?.close();
    await receiver?.close();
  });

  it('delivers a signed order.paid after a card checkout, verifiable with the standardwebhooks package', async () => {
    const { creator, buyer, listingId, tokenId } = await sale(2500);
    const endpoint = await endpointFor(creator, ['order.paid']);
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const orderId = await checkout(buyer, listingId);

    const [request] = await eventually(
      () => receiver.on(endpoint.path).length > 0 && receiver.on(endpoint.path),
    );
    const headers = {
      'webhook-id': String(request.headers['webhook-id']),
      'webhook-timestamp': String(request.headers['webhook-timestamp']),
      'webhook-signature': String(request.headers['webhook-signature']),
    };
    const verified = new Webhook(endpoint.secret).verify(request.body, headers) as Record<string, any>;
    expect(verified).toMatchObject({
      type: 'order.paid',
      data: {
        orderId,
        tokenId,
        listingId,
        buyerId: buyer.id,
        sellerId: creator.id,
        amountMinor: 2500,
        currency: 'USD',
      },
    });
    expect(headers['webhook-id']).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(verified.id).toBe(headers['webhook-id']);
    expect(request.headers['content-type']).toBe('application/json');
    // A wrong secret does not verify.
    const otherSecret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    expect(() => new Webhook(otherSecret).verify(request.body, headers)).toThrow();

    const log = await eventually(async () => {
      const page = (await deliveries(creator, endpoint.id)).body;
      return page.items[0]?.status === 'delivered' && page;
    });
    expect(log.items).toHaveLength(1);
    expect(log.items[0]).toMatchObject({
      eventId: headers['webhook-id'],
      eventType: 'order.paid',
      attemptCount: 1,
      nextAttemptAt: null,
      replayOf: null,
      attempts: [{ attempt: 1, responseStatus: 200, responseExcerpt: 'thanks', error: null }],
    });
    expect(log.items[0].attempts[0].durationMs).toBeGreaterThanOrEqual(0);
  });

  it('retries a delivery answered 500 with the same webhook-id, logging each attempt', async () => {
    const { creator, buyer, listingId } = await sale();
    const endpoint = await endpointFor(creator, ['order.paid']);
    failFirst.set(endpoint.path, 2);
    await checkout(buyer, listingId);

    const requests = await eventually(
      () => receiver.on(endpoint.path).length >= 3 && receiver.on(endpoint.path),
    );
    const ids = new Set(requests.map((request) => request.headers['webhook-id']));
    expect(ids.size).toBe(1);
    const bodies = new Set(requests.map((request) => request.body));
    expect(bodies.size).toBe(1);
    for (const request of requests) {
      expect(() => new Webhook(endpoint.secret).verify(request.body, request.headers as never)).not.toThrow();
    }
    const delivery = await eventually(async () => {
      const [item] = (await deliveries(creator, endpoint.id)).body.items;
      return item?.status === 'delivered' && item;
    });
    expect(delivery.attemptCount).toBe(3);
    expect(
      delivery.attempts.map((a: { attempt: number; responseStatus: number; responseExcerpt: string }) => [
        a.attempt,
        a.responseStatus,
        a.responseExcerpt,
      ]),
    ).toEqual([
      [1, 500, 'busy 1'],
      [2, 500, 'busy 2'],
      [3, 200, 'thanks'],
    ]);
  });

  it('marks a delivery failed, visibly, once the retry schedule is spent', async () => {
    const { creator, buyer, listingId } = await sale();
    const endpoint = await endpointFor(creator, ['order.paid']);
    failFirst.set(endpoint.path, 1000);
    await checkout(buyer, listingId);

    const failed = await eventually(async () => {
      const page = (await deliveries(creator, endpoint.id, '?status=failed')).body;
      return page.items[0];
    });
    // The first attempt and the schedule's three retries.
    expect(failed).toMatchObject({ status: 'failed', attemptCount: 4, nextAttemptAt: null });
    expect(failed.attempts.map((a: { responseStatus: number }) => a.responseStatus)).toEqual([
      500, 500, 500, 500,
    ]);
    expect(failed.finishedAt).not.toBeNull();
    expect(receiver.on(endpoint.path)).toHaveLength(4);
  });

  it('sends each account only the event types it picked, of events that concern it', async () => {
    const { creator, buyer, listingId, tokenId } = await sale();
    const stranger = await createUser(testApp, api);
    const buyerAll = await endpointFor(buyer, ['order.paid', 'token.transferred', 'token.frozen']);
    const creatorFrozenOnly = await endpointFor(creator, ['token.frozen']);
    const strangerAll = await endpointFor(stranger, ['order.paid', 'token.transferred', 'token.frozen']);
    const platform = await endpointFor(operator, ['token.transferred'], { platformWide: true });
    const orderId = await checkout(buyer, listingId);

    const types = await eventually(() => {
      const got = receiver.on(buyerAll.path).map((request) => payloadOf(request).type);
      return got.length >= 2 && got.sort();
    });
    expect(types).toEqual(['order.paid', 'token.transferred']);
    const transferred = receiver
      .on(buyerAll.path)
      .map(payloadOf)
      .find((p) => p.type === 'token.transferred');
    expect(transferred.data).toEqual({
      tokenId,
      fromId: creator.id,
      toId: buyer.id,
      reason: 'sale',
      orderId,
    });
    // The platform-wide endpoint sees every account's transfers (this one among them).
    await eventually(() =>
      receiver.on(platform.path).some((request) => payloadOf(request).data.tokenId === tokenId),
    );

    // Frozen by an operator: the owner (the buyer) hears of it; the creator no longer owns it.
    const frozen = await api('POST', `/operator/tokens/${tokenId}/freeze`, {
      token: operator.token,
      body: { reason: 'Reported as stolen' },
    });
    expect(frozen.status).toBe(200);
    const frozenEvent = await eventually(() =>
      receiver
        .on(buyerAll.path)
        .map(payloadOf)
        .find((p) => p.type === 'token.frozen'),
    );
    expect(frozenEvent.data).toMatchObject({ tokenId, ownerId: buyer.id, cause: 'operator' });
    // Give stray deliveries time to arrive before asserting their absence.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.on(creatorFrozenOnly.path)).toEqual([]);
    expect(receiver.on(strangerAll.path)).toEqual([]);
    expect(receiver.on(platform.path).every((r) => payloadOf(r).type === 'token.transferred')).toBe(true);
  });

  it('replays a delivery with the same event id; another account can neither see nor replay it', async () => {
    const { creator, buyer, listingId } = await sale();
    const endpoint = await endpointFor(creator, ['order.paid']);
    await checkout(buyer, listingId);
    const first = await eventually(async () => {
      const [item] = (await deliveries(creator, endpoint.id)).body.items;
      return item?.status === 'delivered' && item;
    });

    const replayed = await api('POST', `/me/webhooks/${endpoint.id}/deliveries/${first.id}/replay`, {
      token: creator.token,
    });
    expect(replayed.status).toBe(202);
    expect(replayed.body).toMatchObject({ eventId: first.eventId, replayOf: first.id, status: 'pending' });
    const requests = await eventually(
      () => receiver.on(endpoint.path).length >= 2 && receiver.on(endpoint.path),
    );
    expect(requests.map((request) => request.headers['webhook-id'])).toEqual([first.eventId, first.eventId]);
    expect(payloadOf(requests[1])).toEqual(payloadOf(requests[0]));

    const other = buyer;
    expectProblem(await api('GET', `/me/webhooks/${endpoint.id}`, { token: other.token }), 404, 'not-found');
    expectProblem(await deliveries(other, endpoint.id), 404, 'not-found');
    expectProblem(
      await api('POST', `/me/webhooks/${endpoint.id}/deliveries/${first.id}/replay`, { token: other.token }),
      404,
      'not-found',
    );
    expectProblem(
      await api('PATCH', `/me/webhooks/${endpoint.id}`, { token: other.token, body: { enabled: false } }),
      404,
      'not-found',
    );
    expectProblem(
      await api('POST', `/me/webhooks/${endpoint.id}/rotate-secret`, { token: other.token }),
      404,
      'not-found',
    );
    // Deleting another's endpoint deletes nothing.
    expect((await api('DELETE', `/me/webhooks/${endpoint.id}`, { token: other.token })).status).toBe(204);
    expect((await api('GET', `/me/webhooks/${endpoint.id}`, { token: creator.token })).status).toBe(200);
    expect((await api('GET', '/me/webhooks', { token: other.token })).body.items).toEqual([]);
  });

  it('refuses bad URLs and event types with 400 problems', async () => {
    const user = await createUser(testApp, api);
    const create = (url: unknown, eventTypes: unknown = ['order.paid']) =>
      api('POST', '/me/webhooks', {
        token: user.token,
        body: { url, eventTypes, idempotencyKey: `wh-${randomUUID()}` },
      });
    for (const url of [
      'not a url',
      'ftp://example.com/hook',
      'http://example.com/hook',
      'https://user:pw@example.com/hook',
      'https://10.0.0.7/hook',
      'https://192.168.1.1/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://[fd00::1]/hook',
      'https://[::ffff:10.0.0.1]/hook',
      'https://metadata.internal/hook',
      'https://intranet/hook',
    ]) {
      expectProblem(await create(url), 400, 'invalid-webhook-url');
    }
    expectProblem(await create(123), 400, 'validation-failed');
    expectProblem(await create('https://example.com/hook', ['order.shipped']), 400, 'validation-failed');
    expectProblem(await create('https://example.com/hook', []), 400, 'validation-failed');
    expect((await create('https://example.com/hook')).status).toBe(201);
    // Only operators register platform-wide endpoints.
    expectProblem(await register(user, '/x', ['order.paid'], { platformWide: true }), 403, 'forbidden');
    const created = await endpointFor(user, ['order.paid']);
    expectProblem(
      await api('PATCH', `/me/webhooks/${created.id}`, {
        token: user.token,
        body: { url: 'https://10.1.1.1/' },
      }),
      400,
      'invalid-webhook-url',
    );
  });

  it('manages an endpoint: idempotent create, list without secrets, update, rotate, delete', async () => {
    const user = await createUser(testApp, api);
    const body = {
      url: receiver.url('/managed'),
      eventTypes: ['payout.paid'],
      idempotencyKey: `wh-${randomUUID()}`,
    };
    const created = await api('POST', '/me/webhooks', { token: user.token, body });
    const again = await api('POST', '/me/webhooks', { token: user.token, body });
    expect(again.body).toEqual(created.body);
    expectProblem(
      await api('POST', '/me/webhooks', { token: user.token, body: { ...body, eventTypes: ['order.paid'] } }),
      409,
      'idempotency-key-reused',
    );
    const listed = (await api('GET', '/me/webhooks', { token: user.token })).body.items;
    expect(listed).toHaveLength(1);
    expect(listed[0].secret).toBeUndefined();

    const updated = await api('PATCH', `/me/webhooks/${created.body.id}`, {
      token: user.token,
      body: {
        eventTypes: ['order.paid', 'drop.drawn', 'order.paid'],
        enabled: false,
        description: 'shop sync',
      },
    });
    expect(updated.body).toMatchObject({
      eventTypes: ['drop.drawn', 'order.paid'],
      enabled: false,
      description: 'shop sync',
      url: body.url,
    });

    const rotated = await api('POST', `/me/webhooks/${created.body.id}/rotate-secret`, { token: user.token });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    expect(rotated.body.previousSecretValidUntil).not.toBeNull();

    expect((await api('DELETE', `/me/webhooks/${created.body.id}`, { token: user.token })).status).toBe(204);
    expectProblem(
      await api('GET', `/me/webhooks/${created.body.id}`, { token: user.token }),
      404,
      'not-found',
    );
  });

  it('signs with both secrets for a while after a rotation', async () => {
    const { creator, buyer, listingId } = await sale();
    const endpoint = await endpointFor(creator, ['order.paid']);
    const rotated = await api('POST', `/me/webhooks/${endpoint.id}/rotate-secret`, { token: creator.token });
    await checkout(buyer, listingId);
    const [request] = await eventually(
      () => receiver.on(endpoint.path).length > 0 && receiver.on(endpoint.path),
    );
    expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [endpoint.secret, rotated.body.secret]) {
      expect(() => new Webhook(secret).verify(request.body, request.headers as never)).not.toThrow();
    }
  });

  it('emits nothing when the emitting transaction rolls back', async () => {
    const user = await createUser(testApp, api);
    const endpoint = await endpointFor(user, ['order.paid']);
    const dataSource = testApp.app.get(DataSource);
    let emitted: string[] = [];
    await expect(
      inTransaction(dataSource, async (manager) => {
        emitted = await emitEvents(manager, [
          { type: 'order.paid', accountIds: [user.id], data: { orderId: 'rolled-back' } },
        ]);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(emitted).toHaveLength(1);
    expect(
      await sql(testApp.databaseUrl, `SELECT 1 FROM webhook_events WHERE id = $1`, [emitted[0]]),
    ).toEqual([]);

    // The same emission committed is delivered.
    const [committed] = await inTransaction(dataSource, (manager) =>
      emitEvents(manager, [{ type: 'order.paid', accountIds: [user.id], data: { orderId: 'committed' } }]),
    );
    const [request] = await eventually(
      () => receiver.on(endpoint.path).length > 0 && receiver.on(endpoint.path),
    );
    expect(request.headers['webhook-id']).toBe(committed);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver.on(endpoint.path)).toHaveLength(1);
    expect((await deliveries(user, endpoint.id)).body.items).toHaveLength(1);
  });
  it('reports refunds, payouts, gifts and lottery draws to the accounts concerned', async () => {
    const { creator, buyer, listingId, tokenId } = await sale(3000);
    const creatorHook = await endpointFor(creator, ['order.refunded', 'payout.paid', 'drop.drawn']);
    const buyerHook = await endpointFor(buyer, ['order.refunded', 'token.transferred']);
    const paid = await api('POST', '/checkout', { token: buyer.token, body: cardCheckout({ listingId }) });
    const order = { orderId: paid.body.orderId as string, paymentId: paid.body.paymentId as string };

    // The creator is paid out (no refund window in this app): payout.paid to the creator.
    const payout = await api('POST', '/me/payouts', {
      token: creator.token,
      body: { amountMinor: 1000, currency: 'USD', idempotencyKey: `po-${randomUUID()}` },
    });
    expect(payout.body.status, JSON.stringify(payout.body)).toBe('paid');
    const [paidOut] = await eventually(
      () =>
        receivedOf(creatorHook.path, 'payout.paid').length > 0 && receivedOf(creatorHook.path, 'payout.paid'),
    );
    expect(paidOut.data).toMatchObject({
      payoutId: payout.body.id,
      amountMinor: 1000,
      currency: 'USD',
      rail: 'sandbox',
    });

    // A partial refund by the processor: order.refunded to buyer and seller alike.
    const refund = chargeRefunded(testApp.config.stripeWebhookSecret, {
      ...order,
      amount: 3000,
      refunded: 1000,
    });
    expect((await postEvent(api, refund)).status).toBe(200);
    for (const path of [creatorHook.path, buyerHook.path]) {
      const [refunded] = await eventually(
        () => receivedOf(path, 'order.refunded').length > 0 && receivedOf(path, 'order.refunded'),
      );
      expect(refunded.data).toMatchObject({
        orderId: order.orderId,
        tokenId,
        amountMinor: 3000,
        refundedMinor: 1000,
        currency: 'USD',
      });
    }

    // A gift: token.transferred to the giver and the receiver.
    const friend = await createUser(testApp, api);
    const friendHook = await endpointFor(friend, ['token.transferred']);
    const gift = await api('POST', `/tokens/${tokenId}/gift`, {
      token: buyer.token,
      body: { toHandle: friend.handle, idempotencyKey: `gift-${randomUUID()}` },
    });
    expect(gift.status, JSON.stringify(gift.body)).toBe(200);
    for (const path of [buyerHook.path, friendHook.path]) {
      const gifted = await eventually(() =>
        receivedOf(path, 'token.transferred').find((payload) => payload.data.reason === 'gift'),
      );
      expect(gifted.data).toMatchObject({
        tokenId,
        fromId: buyer.id,
        toId: friend.id,
        giftId: gift.body.giftId,
      });
    }

    // A lottery drawn: drop.drawn to its creator and to each entrant.
    const { dropId } = await openDrop(api, creator, 1, {
      mode: 'lottery',
      perBuyerLimit: 1,
      entriesCloseAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const entrantHook = await endpointFor(friend, ['drop.drawn']);
    expect((await api('POST', `/drops/${dropId}/entries`, { token: friend.token })).status).toBe(201);
    await sql(
      testApp.databaseUrl,
      `UPDATE drops SET entries_close_at = now() - interval '1 second' WHERE id = $1`,
      [dropId],
    );
    expect((await api('POST', `/drops/${dropId}/draw`, { token: creator.token })).status).toBe(200);
    for (const path of [creatorHook.path, entrantHook.path]) {
      const [drawn] = await eventually(
        () => receivedOf(path, 'drop.drawn').length > 0 && receivedOf(path, 'drop.drawn'),
      );
      expect(drawn.data).toMatchObject({ dropId, entrantCount: 1, winnerCount: 1 });
    }
  });

  it('shares deliveries between API processes without sending one twice', async () => {
    const second = await startTestApp({ WEBHOOK_POLL_INTERVAL_MS: '20' }, testApp.databaseUrl);
    try {
      const user = await createUser(testApp, api);
      const endpoint = await endpointFor(user, ['order.paid']);
      const dataSource = testApp.app.get(DataSource);
      const ids = await inTransaction(dataSource, (manager) =>
        emitEvents(
          manager,
          Array.from({ length: 300 }, (_, n) => ({
            type: 'order.paid' as const,
            accountIds: [user.id],
            data: { orderId: `shared-${n}` },
          })),
        ),
      );
      const received = await eventually(
        () => receiver.on(endpoint.path).length >= 300 && receiver.on(endpoint.path),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(receiver.on(endpoint.path)).toHaveLength(300);
      expect(new Set(received.map((request) => request.headers['webhook-id']))).toEqual(new Set(ids));
    } finally {
      await second.close();
    }
  });
});
