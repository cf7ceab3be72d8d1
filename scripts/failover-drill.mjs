#!/usr/bin/env node
// Failover drill on the cluster of scripts/cluster.sh: during a stream of drop checkouts through
// HAProxy, the PostgreSQL leader's postmaster is SIGKILLed; Patroni promotes the synchronous
// standby and HAProxy's write port follows it. Then checked: no acknowledged paid order lost,
// no edition sold twice, the journal balanced. Prints the failover time and the failed requests by
// status and problem type (each must be a 503 the client may retry, never a 500).
//
//   scripts/cluster.sh up && node scripts/failover-drill.mjs [cluster folder]
//
// Settings: DRILL_EDITIONS (default 600), DRILL_RATE per second (default 15), DRILL_KILL_AFTER_MS
// (default 3000), DRILL_AFTER_RECOVERY_MS (stream kept up after recovery, default 8000).
/* global Buffer, setTimeout, fetch, AbortSignal -- Node 20 globals */
import { randomBytes, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hash as argon2Hash } from '@node-rs/argon2';
import pg from 'pg';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const { hashToken, newToken, SESSION_PREFIX } = await import(`${REPO}/dist/libs/identity/src/tokens.js`);
const folder = resolve(process.argv[2] ?? `${REPO}/.data/cluster`);
const cluster = JSON.parse(readFileSync(`${folder}/cluster.json`, 'utf8'));
const EDITIONS = Number(process.env.DRILL_EDITIONS ?? 600);
const RATE = Number(process.env.DRILL_RATE ?? 15);
const KILL_AFTER_MS = Number(process.env.DRILL_KILL_AFTER_MS ?? 3000);
const AFTER_RECOVERY_MS = Number(process.env.DRILL_AFTER_RECOVERY_MS ?? 8000);
const MAX_STREAM_MS = 120_000;
const PROBLEM = 'https://heirloom.dev/problems/';
const PNG_1X1 = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
  'hex',
);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function api(method, path, { token, body, rawBody, headers = {} } = {}) {
  const response = await fetch(cluster.apiUrl + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: rawBody ?? (body ? JSON.stringify(body) : undefined),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { text };
  }
  return { status: response.status, body: parsed, contentType: response.headers.get('content-type') ?? '' };
}

function expectStatus(response, status, what) {
  if (response.status !== status)
    throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

async function query(text, values) {
  const client = new pg.Client({ connectionString: cluster.databaseUrl, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Accounts with a session each, written straight to the database (sign-up is rate limited). */
async function seedAccounts(count, { creator = false } = {}) {
  const passwordHash = await argon2Hash(`pw-${randomUUID()}`);
  const suffixes = Array.from({ length: count }, () => randomUUID().replaceAll('-', '').slice(0, 16));
  const tokens = suffixes.map(() => newToken(SESSION_PREFIX));
  const rows = await query(
    `WITH inserted AS (
       INSERT INTO accounts (email, handle, password_hash, roles, creator_status)
       SELECT 'drill-' || s || '@example.com', 'drill_' || s, $2, $3::text[], $4 FROM unnest($1::text[]) AS s
       RETURNING id, handle),
     sessions AS (
       INSERT INTO sessions (account_id, token_hash, expires_at)
       SELECT i.id, t.hash, now() + interval '1 day'
       FROM inserted i JOIN unnest($1::text[], $5::bytea[]) AS t(s, hash) ON i.handle = 'drill_' || t.s)
     SELECT id, handle FROM inserted`,
    [
      suffixes,
      passwordHash,
      creator ? ['collector', 'creator'] : ['collector'],
      creator ? 'approved' : 'none',
      tokens.map(hashToken),
    ],
  );
  const idByHandle = new Map(rows.map((row) => [row.handle, row.id]));
  return suffixes.map((s, i) => ({ id: idByHandle.get(`drill_${s}`), token: tokens[i] }));
}

async function openDrop(creator) {
  const collection = expectStatus(
    await api('POST', '/collections', {
      token: creator.token,
      body: { name: `Drill ${randomUUID().slice(0, 6)}`, royaltyBps: 500 },
    }),
    201,
    'collection',
  );
  const image = expectStatus(
    await api('POST', '/media', {
      token: creator.token,
      rawBody: Buffer.concat([PNG_1X1, randomBytes(16)]),
      headers: { 'content-type': 'image/png' },
    }),
    201,
    'upload',
  );
  expectStatus(
    await api('POST', `/collections/${collection.id}/mint`, {
      token: creator.token,
      body: {
        idempotencyKey: `mint-${randomUUID()}`,
        items: [
          {
            editions: EDITIONS,
            metadata: {
              name: 'Drill',
              description: 'Failover drill',
              image: `ipfs://${image.cid}`,
              attributes: [],
            },
          },
        ],
      },
    }),
    201,
    'mint',
  );
  const drop = expectStatus(
    await api('POST', '/drops', {
      token: creator.token,
      body: {
        collectionId: collection.id,
        priceMinor: 1500,
        currency: 'USD',
        startsAt: new Date().toISOString(),
      },
    }),
    201,
    'drop',
  );
  return drop.dropId;
}

async function patroniLeader() {
  for (const node of cluster.nodes) {
    const response = await fetch(`${node.rest}/primary`, { signal: AbortSignal.timeout(1000) }).catch(
      () => null,
    );
    if (response?.status === 200) return node;
  }
  return undefined;
}

/** Until the write port takes a write again; resolves with the time it first did. */
async function waitForWrites(since) {
  for (;;) {
    try {
      const client = new pg.Client({ connectionString: cluster.databaseUrl, connectionTimeoutMillis: 500 });
      await client.connect();
      try {
        await client.query('SET statement_timeout = 1000');
        await client.query('SELECT txid_current()');
        return Date.now();
      } finally {
        await client.end().catch(() => undefined);
      }
    } catch {
      if (Date.now() - since > MAX_STREAM_MS) throw new Error('the write port did not recover');
      await sleep(100);
    }
  }
}

const outcome = (response) =>
  response.status === 201
    ? `201 ${response.body.status}`
    : `${response.status} ${response.body.type?.replace(PROBLEM, '') ?? (response.body.text ?? '').slice(0, 60).trim()}`;

async function main() {
  const before = await patroniLeader();
  if (!before) throw new Error('no Patroni leader: is the cluster up (scripts/cluster.sh up)?');
  console.log(`leader ${before.name}; preparing a drop of ${EDITIONS} editions…`);
  const [creator] = await seedAccounts(1, { creator: true });
  const dropId = await openDrop(creator);
  const buyers = await seedAccounts(Math.ceil((RATE * MAX_STREAM_MS) / 1000));

  // The stream: one checkout every 1/RATE s, each by its own buyer. A 503 is retried with the same
  // idempotency key (as a client may), so an acknowledged order is one answered 201 paid.
  const answers = [];
  const acknowledged = new Set();
  const inFlight = [];
  let killedAt;
  let writesBackAt;
  let firstPaidAfterKill;
  const started = Date.now();
  const checkout = async (buyer) => {
    const body = {
      dropId,
      idempotencyKey: `drill-${randomUUID()}`,
      card: { number: '4242424242424242', expMonth: 12, expYear: new Date().getFullYear() + 2, cvc: '123' },
    };
    for (let attempt = 1; attempt <= 60; attempt++) {
      let response;
      const sentAt = Date.now();
      try {
        response = await api('POST', '/checkout', { token: buyer.token, body });
      } catch (error) {
        response = { status: 0, body: { text: String(error.cause?.code ?? error.message) } };
      }
      answers.push({ at: Date.now(), response });
      if (response.status === 201 && response.body.status === 'paid') {
        acknowledged.add(response.body.orderId);
        // Sent after the kill: answered by the new leader, not finishing on the old one.
        if (killedAt && sentAt > killedAt && !firstPaidAfterKill) firstPaidAfterKill = Date.now();
      }
      if (response.status !== 503 && response.status !== 0) return;
      await sleep(500);
    }
  };

  let next = 0;
  let recovery;
  while (Date.now() - started < MAX_STREAM_MS) {
    if (!killedAt && Date.now() - started >= KILL_AFTER_MS) {
      const leader = await patroniLeader();
      const pid = Number(readFileSync(`${leader.dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
      process.kill(pid, 'SIGKILL');
      killedAt = Date.now();
      console.log(`SIGKILL to the postmaster of ${leader.name} (pid ${pid})`);
      recovery = waitForWrites(killedAt).then((at) => (writesBackAt = at));
    }
    if (writesBackAt && firstPaidAfterKill && Date.now() - firstPaidAfterKill > AFTER_RECOVERY_MS) break;
    inFlight.push(checkout(buyers[next++]));
    await sleep(1000 / RATE);
  }
  await recovery;
  await Promise.all(inFlight);
  const after = await patroniLeader();

  // Checks, on the new leader.
  const orders = await query(`SELECT id, status, listing_id, token_id FROM orders WHERE drop_id = $1`, [
    dropId,
  ]);
  const paid = orders.filter((o) => ['paid', 'disputed', 'refund_pending', 'refunded'].includes(o.status));
  const paidIds = new Set(paid.map((o) => o.id));
  const lost = [...acknowledged].filter((id) => !paidIds.has(id));
  const oversold =
    paid.length - new Set(paid.map((o) => o.listing_id)).size + (paid.length > EDITIONS ? 1 : 0);
  const imbalance = await query(
    `SELECT currency, sum(amount_minor) AS total FROM journal_lines GROUP BY currency HAVING sum(amount_minor) <> 0`,
  );

  // The ledger replayed from its journal matches the tables (the operator CLI's audit).
  let auditClean = true;
  try {
    execFileSync(process.execPath, [`${REPO}/dist/apps/api/src/cli.js`, 'audit'], {
      env: {
        ...process.env,
        DATABASE_URL: cluster.databaseUrl,
        HEIRLOOM_DATA_DIR: `${folder}/api`,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } catch {
    auditClean = false;
  }

  const byOutcome = {};
  for (const { response } of answers) byOutcome[outcome(response)] = (byOutcome[outcome(response)] ?? 0) + 1;
  const failures = answers.filter(({ response }) => response.status !== 201 && response.status !== 409);
  const failedByStatus = {};
  for (const { response } of failures) {
    failedByStatus[outcome(response)] = (failedByStatus[outcome(response)] ?? 0) + 1;
  }
  const unclean = failures.filter(
    ({ response }) => !(response.status === 503 && response.contentType.includes('application/problem+json')),
  );

  console.log(`
leader before ${before.name}, after ${after?.name ?? 'none'}
failover time (kill → write port takes writes)   ${((writesBackAt - killedAt) / 1000).toFixed(1)} s
kill → first paid checkout sent after it        ${firstPaidAfterKill ? ((firstPaidAfterKill - killedAt) / 1000).toFixed(1) + ' s' : 'none'}
requests ${answers.length} (checkouts ${next}), by outcome ${JSON.stringify(byOutcome)}
failed requests by status ${JSON.stringify(failedByStatus)}
acknowledged paid orders ${acknowledged.size}, lost ${lost.length}
paid orders ${paid.length} of ${EDITIONS} editions, oversold ${oversold}
journal imbalance ${JSON.stringify(imbalance)}
audit replay ${auditClean ? 'clean' : 'FAILED'}`);
  const problems = [
    ...(after && after.name !== before.name ? [] : ['Patroni did not promote the standby']),
    ...(lost.length ? [`${lost.length} acknowledged paid orders lost`] : []),
    ...(oversold ? ['oversold'] : []),
    ...(imbalance.length ? ['journal unbalanced'] : []),
    ...(auditClean ? [] : ['the audit replay failed']),
    ...(unclean.length ? [`${unclean.length} failed requests were not a 503 problem`] : []),
    ...(firstPaidAfterKill ? [] : ['no checkout was paid after the failover']),
  ];
  if (problems.length) {
    console.error(`DRILL FAILED: ${problems.join('; ')}`);
    process.exit(1);
  }
  console.log('drill passed');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
