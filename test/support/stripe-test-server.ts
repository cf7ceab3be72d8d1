// A local stand-in for the slice of Stripe's API the payment adapter and Connect payouts use, so
// tests run the real SDK end to end without network: form-encoded requests, Stripe-shaped JSON and
// errors, idempotent replays of POSTs, Stripe's test PaymentMethod ids, and Express connected
// accounts, account links and transfers.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedStripeRequest {
  method: string;
  path: string;
  idempotencyKey?: string;
  body: FormObject;
}

export interface StripeTestServer {
  port: number;
  url: string;
  /** Every request received, in order, including failed and replayed ones. */
  requests: RecordedStripeRequest[];
  /**
   * Makes the next `count` requests fail with `status` (default 500) before any processing, with
   * Stripe's error `code` if given.
   */
  failNext(count: number, status?: number, code?: string): void;
  /** Plays the buyer's 3-D Secure challenge in the browser: approve ⇒ succeeded, else authentication failure. */
  completeThreeDSecure(paymentIntentId: string, approve: boolean): void;
  paymentIntent(id: string): Record<string, unknown> | undefined;
  /** A connected account as Stripe holds it. */
  account(id: string): Record<string, unknown> | undefined;
  /** Plays the person finishing Stripe's hosted onboarding: payouts and transfers become enabled. */
  completeOnboarding(accountId: string): Record<string, unknown>;
  /** Every transfer made (replays make none). */
  transfers: Record<string, unknown>[];
  /** Balance transactions per page of GET /v1/balance_transactions, at most (Stripe's own cap is 100). */
  balanceTransactionsPageSize: number;
  close(): Promise<void>;
}

type FormValue = string | FormObject;
interface FormObject {
  [key: string]: FormValue;
}

interface Reply {
  status: number;
  body: unknown;
}

type Outcome = 'succeed' | 'three_d_secure' | { code: string; decline_code?: string; message: string };

const TEST_PAYMENT_METHODS: Record<string, { brand: string; last4: string; outcome: Outcome }> = {
  pm_card_visa: { brand: 'visa', last4: '4242', outcome: 'succeed' },
  pm_card_mastercard: { brand: 'mastercard', last4: '4444', outcome: 'succeed' },
  pm_card_chargeDeclined: {
    brand: 'visa',
    last4: '0002',
    outcome: { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' },
  },
  pm_card_chargeDeclinedInsufficientFunds: {
    brand: 'visa',
    last4: '9995',
    outcome: {
      code: 'card_declined',
      decline_code: 'insufficient_funds',
      message: 'Your card has insufficient funds.',
    },
  },
  pm_card_chargeDeclinedExpiredCard: {
    brand: 'visa',
    last4: '0069',
    outcome: { code: 'expired_card', decline_code: 'expired_card', message: 'Your card has expired.' },
  },
  pm_card_chargeDeclinedIncorrectCvc: {
    brand: 'visa',
    last4: '0127',
    outcome: {
      code: 'incorrect_cvc',
      decline_code: 'incorrect_cvc',
      message: "Your card's security code is incorrect.",
    },
  },
  pm_card_threeDSecure2Required: { brand: 'visa', last4: '3155', outcome: 'three_d_secure' },
};

const CANCELABLE = [
  'requires_payment_method',
  'requires_capture',
  'requires_confirmation',
  'requires_action',
];

/** Starts the fake Stripe API on 127.0.0.1 at a random port. */
export async function startStripeTestServer(): Promise<StripeTestServer> {
  const requests: RecordedStripeRequest[] = [];
  const intents = new Map<string, Record<string, unknown>>();
  const refunded = new Map<string, number>();
  const accounts = new Map<string, Record<string, unknown>>();
  const transfers: Record<string, unknown>[] = [];
  /** The account's balance transactions, newest first (as Stripe lists them), and their sources. */
  const balanceTransactions: Record<string, unknown>[] = [];
  const sources = new Map<string, Record<string, unknown>>();
  const shop = { balanceTransactionsPageSize: 100 };
  const replies = new Map<string, { fingerprint: string; reply: Reply }>();
  let failures: { count: number; status: number; code?: string } = { count: 0, status: 500 };

  const server = createServer((req, res) => {
    void readBody(req).then((raw) => {
      const [path = '/', query = ''] = (req.url ?? '/').split('?');
      const method = req.method ?? 'GET';
      const idempotencyKey = header(req, 'idempotency-key');
      const body = method === 'GET' ? parseForm(query) : parseForm(raw);
      requests.push({ method, path, idempotencyKey, body });

      if (failures.count > 0) {
        failures.count--;
        const extra = failures.code ? { code: failures.code } : {};
        return send(res, { status: failures.status, body: error('api_error', 'Injected failure', extra) });
      }
      if (!header(req, 'authorization')?.startsWith('Bearer sk_')) {
        return send(res, { status: 401, body: error('invalid_request_error', 'Invalid API Key provided') });
      }
      // Like Stripe: POSTs with a key are replayed; GETs are naturally idempotent and never cached.
      const fingerprint = `${method} ${path} ${raw}`;
      const cached = method === 'POST' && idempotencyKey ? replies.get(idempotencyKey) : undefined;
      if (cached && cached.fingerprint !== fingerprint) {
        return send(res, {
          status: 400,
          body: error(
            'idempotency_error',
            'Keys for idempotent requests can only be used with the same parameters.',
          ),
        });
      }
      if (cached) return send(res, cached.reply, { 'Idempotent-Replayed': 'true' });
      // Snapshot the reply: a replay returns the original response, not the object's current state.
      const reply = JSON.parse(
        JSON.stringify(route(method, path, body, expansionsOf(query), query)),
      ) as Reply;
      if (method === 'POST' && idempotencyKey) replies.set(idempotencyKey, { fingerprint, reply });
      send(res, reply);
    });
  });

  function route(method: string, path: string, body: FormObject, expand: string[], query: string): Reply {
    const match = /^\/v1\/payment_intents\/([^/]+)(?:\/(confirm|cancel))?$/.exec(path);
    if (method === 'POST' && path === '/v1/payment_intents') return createIntent(body);
    if (method === 'POST' && path === '/v1/refunds') return createRefund(body);
    if (method === 'POST' && path === '/v1/accounts') return createAccount(body);
    if (method === 'POST' && path === '/v1/account_links') return createAccountLink(body);
    if (method === 'POST' && path === '/v1/transfers') return createTransfer(body);
    if (method === 'GET' && path === '/v1/transfers') return listTransfers(query);
    const accountMatch = /^\/v1\/accounts\/([^/]+)$/.exec(path);
    if (method === 'GET' && accountMatch?.[1]) {
      const account = accounts.get(accountMatch[1]);
      return account
        ? { status: 200, body: account }
        : invalid(undefined, `No such account: '${accountMatch[1]}'`, 'resource_missing');
    }
    if (method === 'GET' && path === '/v1/balance_transactions') return listBalanceTransactions(body, expand);
    if (match?.[1]) {
      const intent = intents.get(match[1]);
      if (!intent) return notFound(match[1]);
      if (method === 'GET' && !match[2]) return { status: 200, body: expanded(intent, expand) };
      if (method === 'POST' && match[2] === 'confirm') return confirm(intent, body);
      if (method === 'POST' && match[2] === 'cancel') return cancel(intent, body);
    }
    return {
      status: 404,
      body: error('invalid_request_error', `Unrecognized request URL (${method}: ${path})`),
    };
  }

  function createIntent(body: FormObject): Reply {
    const amount = Number(body.amount);
    if (!Number.isSafeInteger(amount) || amount < 1)
      return invalid('amount', 'Amount must be a positive integer');
    if (typeof body.currency !== 'string') return invalid('currency', 'Missing required param: currency.');
    const id = `pi_${token()}`;
    const intent: Record<string, unknown> = {
      id,
      object: 'payment_intent',
      amount,
      amount_received: 0,
      automatic_payment_methods: body.automatic_payment_methods ?? null,
      cancellation_reason: null,
      client_secret: `${id}_secret_${token()}`,
      created: Math.floor(Date.now() / 1000),
      currency: body.currency,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      metadata: body.metadata ?? {},
      next_action: null,
      payment_method: null,
      status: 'requires_payment_method',
    };
    intents.set(id, intent);
    return body.confirm === 'true' ? confirm(intent, body) : { status: 200, body: intent };
  }

  function confirm(intent: Record<string, unknown>, body: FormObject): Reply {
    const pmId = typeof body.payment_method === 'string' ? body.payment_method : undefined;
    const pm = pmId ? TEST_PAYMENT_METHODS[pmId] : undefined;
    if (!pmId || !pm)
      return invalid('payment_method', `No such PaymentMethod: '${pmId ?? ''}'`, 'resource_missing');
    const redirects = (intent.automatic_payment_methods as FormObject | null)?.allow_redirects;
    const returnUrl = typeof body.return_url === 'string' ? body.return_url : undefined;
    if (redirects !== 'never' && !returnUrl) {
      return invalid(
        'return_url',
        'A return_url is required when redirect-based payment methods are allowed.',
      );
    }
    Object.assign(intent, { payment_method: pmId, last_payment_error: null, next_action: null });
    if (pm.outcome === 'succeed') {
      capture(intent);
      return { status: 200, body: intent };
    }
    if (pm.outcome === 'three_d_secure') {
      const url = `https://hooks.stripe.com/3d_secure_2/hosted?payment_intent=${String(intent.id)}`;
      intent.status = 'requires_action';
      intent.next_action = returnUrl
        ? { type: 'redirect_to_url', redirect_to_url: { url, return_url: returnUrl } }
        : { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: url } };
      return { status: 200, body: intent };
    }
    const failure = {
      type: 'card_error',
      ...pm.outcome,
      payment_method: { id: pmId, object: 'payment_method' },
    };
    Object.assign(intent, { status: 'requires_payment_method', last_payment_error: failure });
    return { status: 402, body: { error: { ...failure, charge: `ch_${token()}`, payment_intent: intent } } };
  }

  /** The intent succeeds: its charge, and the balance transaction that brings the money in. */
  function capture(intent: Record<string, unknown>): void {
    const charge = {
      id: `ch_${token()}`,
      object: 'charge',
      amount: intent.amount,
      currency: intent.currency,
      payment_intent: intent.id,
      status: 'succeeded',
    };
    Object.assign(intent, { status: 'succeeded', amount_received: intent.amount, latest_charge: charge.id });
    recordBalanceTransaction('charge', charge, Number(intent.amount));
  }

  function recordBalanceTransaction(type: string, source: Record<string, unknown>, amount: number): void {
    sources.set(String(source.id), source);
    balanceTransactions.unshift({
      id: `txn_${token()}`,
      object: 'balance_transaction',
      amount,
      currency: source.currency,
      fee: 0,
      net: amount,
      created: Math.floor(Date.now() / 1000),
      reporting_category: type,
      source: source.id,
      status: 'available',
      type,
    });
  }

  /** A page of balance transactions, newest first, after `starting_after`; `data.source` expandable. */
  function listBalanceTransactions(query: FormObject, expand: string[]): Reply {
    const limit = Math.min(Number(query.limit ?? 10), shop.balanceTransactionsPageSize);
    const after = typeof query.starting_after === 'string' ? query.starting_after : undefined;
    const from = after ? balanceTransactions.findIndex((txn) => txn.id === after) + 1 : 0;
    const page = balanceTransactions
      .slice(from, from + limit)
      .map((txn) =>
        expand.includes('data.source') ? { ...txn, source: sources.get(String(txn.source)) } : txn,
      );
    return {
      status: 200,
      body: {
        object: 'list',
        url: '/v1/balance_transactions',
        has_more: from + limit < balanceTransactions.length,
        data: page,
      },
    };
  }

  function cancel(intent: Record<string, unknown>, body: FormObject): Reply {
    if (!CANCELABLE.includes(String(intent.status))) {
      const message = `You cannot cancel this PaymentIntent because it has a status of ${String(intent.status)}.`;
      return invalid(undefined, message, 'payment_intent_unexpected_state', intent);
    }
    Object.assign(intent, { status: 'canceled', cancellation_reason: body.cancellation_reason ?? null });
    return { status: 200, body: intent };
  }

  function createRefund(body: FormObject): Reply {
    const id = typeof body.payment_intent === 'string' ? body.payment_intent : '';
    const intent = intents.get(id);
    if (!intent) return invalid('payment_intent', `No such payment_intent: '${id}'`, 'resource_missing');
    if (intent.status !== 'succeeded') {
      return invalid(
        undefined,
        'This PaymentIntent has not succeeded.',
        'payment_intent_unexpected_state',
        intent,
      );
    }
    const done = refunded.get(id) ?? 0;
    const remaining = Number(intent.amount) - done;
    if (remaining === 0)
      return invalid(undefined, 'Charge has already been refunded.', 'charge_already_refunded');
    const amount = body.amount === undefined ? remaining : Number(body.amount);
    if (amount > remaining)
      return invalid('amount', `Refund amount exceeds ${remaining}.`, 'amount_too_large');
    refunded.set(id, done + amount);
    const refund = {
      id: `re_${token()}`,
      object: 'refund',
      amount,
      charge: intent.latest_charge,
      created: Math.floor(Date.now() / 1000),
      currency: intent.currency,
      metadata: body.metadata ?? {},
      payment_intent: id,
      reason: body.reason ?? null,
      status: 'succeeded',
    };
    recordBalanceTransaction('refund', refund, -amount);
    return { status: 200, body: refund };
  }

  function createAccount(body: FormObject): Reply {
    if (body.type !== 'express') return invalid('type', 'Only Express accounts are supported here.');
    const id = `acct_${token().slice(0, 16)}`;
    const account: Record<string, unknown> = {
      id,
      object: 'account',
      type: 'express',
      capabilities: { transfers: 'inactive' },
      charges_enabled: false,
      created: Math.floor(Date.now() / 1000),
      details_submitted: false,
      metadata: body.metadata ?? {},
      payouts_enabled: false,
      requirements: { currently_due: ['external_account', 'tos_acceptance.date'] },
    };
    accounts.set(id, account);
    return { status: 200, body: account };
  }

  function createAccountLink(body: FormObject): Reply {
    const id = typeof body.account === 'string' ? body.account : '';
    if (!accounts.has(id)) return invalid('account', `No such account: '${id}'`, 'resource_missing');
    if (body.type !== 'account_onboarding' && body.type !== 'account_update')
      return invalid('type', 'Invalid type: must be one of account_onboarding or account_update');
    for (const param of ['refresh_url', 'return_url'] as const) {
      if (typeof body[param] !== 'string' || !/^https?:\/\//.test(body[param] as string))
        return invalid(param, `Not a valid URL: ${param}`);
    }
    const created = Math.floor(Date.now() / 1000);
    return {
      status: 200,
      body: {
        object: 'account_link',
        created,
        expires_at: created + 300,
        url: `https://connect.stripe.com/setup/e/${id}/${token()}`,
      },
    };
  }

  function createTransfer(body: FormObject): Reply {
    const amount = Number(body.amount);
    if (!Number.isSafeInteger(amount) || amount < 1)
      return invalid('amount', 'Amount must be a positive integer');
    if (typeof body.currency !== 'string') return invalid('currency', 'Missing required param: currency.');
    const destination = typeof body.destination === 'string' ? body.destination : '';
    const account = accounts.get(destination);
    if (!account) return invalid('destination', `No such destination: '${destination}'`, 'resource_missing');
    if ((account.capabilities as FormObject).transfers !== 'active') {
      return invalid(
        'destination',
        'Your destination account needs to have at least one of the following capabilities enabled: transfers',
        'insufficient_capabilities_for_transfer',
      );
    }
    const transfer = {
      id: `tr_${token()}`,
      object: 'transfer',
      amount,
      created: Math.floor(Date.now() / 1000),
      currency: body.currency,
      destination,
      livemode: false,
      metadata: body.metadata ?? {},
      reversed: false,
      transfer_group: body.transfer_group ?? null,
    };
    transfers.push(transfer);
    return { status: 200, body: transfer };
  }

  function listTransfers(query: string): Reply {
    const group = new URLSearchParams(query).get('transfer_group');
    const data = transfers.filter((t) => group === null || t.transfer_group === group).reverse();
    return { status: 200, body: { object: 'list', data, has_more: false, url: '/v1/transfers' } };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext(count, status = 500, code) {
      failures = { count, status, code };
    },
    completeThreeDSecure(paymentIntentId, approve) {
      const intent = intents.get(paymentIntentId);
      if (intent?.status !== 'requires_action')
        throw new Error(`${paymentIntentId} is not awaiting 3-D Secure`);
      intent.next_action = null;
      if (approve) {
        capture(intent);
      } else {
        Object.assign(intent, {
          status: 'requires_payment_method',
          last_payment_error: {
            type: 'invalid_request_error',
            code: 'payment_intent_authentication_failure',
            message: 'We are unable to authenticate your payment method.',
          },
        });
      }
    },
    paymentIntent: (id) => intents.get(id),
    account: (id) => accounts.get(id),
    completeOnboarding(accountId) {
      const account = accounts.get(accountId);
      if (!account) throw new Error(`no account ${accountId}`);
      Object.assign(account, {
        capabilities: { transfers: 'active' },
        details_submitted: true,
        payouts_enabled: true,
        requirements: { currently_due: [] },
      });
      return account;
    },
    transfers,
    get balanceTransactionsPageSize() {
      return shop.balanceTransactionsPageSize;
    },
    set balanceTransactionsPageSize(size: number) {
      shop.balanceTransactionsPageSize = size;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // The SDK keeps connections alive; without this close() would wait for them to time out.
        server.closeAllConnections();
      }),
  };
}

/** The `expand[]` parameters of a query string (the SDK sends `expand[0]=…`). */
function expansionsOf(query: string): string[] {
  return [...new URLSearchParams(query)].filter(([key]) => /^expand\[\d*\]$/.test(key)).map(([, v]) => v);
}

/** An intent as Stripe returns it with `expand`: only `latest_charge` is supported (with the card used). */
function expanded(intent: Record<string, unknown>, expand: string[]): Record<string, unknown> {
  const chargeId = intent.latest_charge;
  if (!expand.includes('latest_charge') || typeof chargeId !== 'string') return intent;
  const card = TEST_PAYMENT_METHODS[String(intent.payment_method)];
  const charge = {
    id: chargeId,
    object: 'charge',
    amount: intent.amount,
    currency: intent.currency,
    payment_intent: intent.id,
    payment_method: intent.payment_method,
    status: 'succeeded',
    payment_method_details: card
      ? { type: 'card', card: { brand: card.brand, last4: card.last4, exp_month: 12, exp_year: 2034 } }
      : null,
  };
  return { ...intent, latest_charge: charge };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Decodes Stripe's form encoding (`a[b][c]=v`) into nested objects of strings. */
function parseForm(raw: string): FormObject {
  const root: FormObject = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    const path = key.replace(/\]/g, '').split('[');
    let node = root;
    path.forEach((segment, i) => {
      if (i === path.length - 1) node[segment] = value;
      else node = (typeof node[segment] === 'object' ? node[segment] : (node[segment] = {})) as FormObject;
    });
  }
  return root;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function send(res: ServerResponse, reply: Reply, headers: Record<string, string> = {}): void {
  res.writeHead(reply.status, {
    'Content-Type': 'application/json',
    'Request-Id': `req_${token()}`,
    ...headers,
  });
  res.end(JSON.stringify(reply.body));
}

function error(type: string, message: string, extra: Record<string, unknown> = {}): unknown {
  return { error: { type, message, ...extra } };
}

function invalid(param: string | undefined, message: string, code?: string, paymentIntent?: unknown): Reply {
  const status = code === 'resource_missing' && !param ? 404 : 400;
  const extra = {
    ...(param ? { param } : {}),
    ...(code ? { code } : {}),
    ...(paymentIntent ? { payment_intent: paymentIntent } : {}),
  };
  return { status, body: error('invalid_request_error', message, extra) };
}

function notFound(id: string): Reply {
  return {
    status: 404,
    body: error('invalid_request_error', `No such payment_intent: '${id}'`, {
      code: 'resource_missing',
      param: 'intent',
    }),
  };
}

function token(): string {
  return randomBytes(12).toString('hex');
}
