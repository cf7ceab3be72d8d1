/**
 * Webhook delivery benchmark (issue 13), on a fresh database:
 *
 * BENCH_EVENTS (20,000) `order.paid` events are emitted (in transactions of 1,000, as the outbox
 * writes them) for BENCH_ACCOUNTS (100) accounts with one endpoint each on a local receiver (a
 * node:http server in a worker thread, answering 200). Then the API's delivery job starts and is
 * timed until every delivery is logged as delivered in PostgreSQL: claimed with SKIP LOCKED, signed
 * per Standard Webhooks, POSTed, attempt and outcome written. Figure: events/s.
 *
 * Baseline in the same run: the same number of plain POSTs of the same bodies to the same receiver
 * at the same concurrency over the same kind of keep-alive connection pool, with no database and no
 * signing — what the network path alone allows.
 *
 * `npm run bench:webhooks`; BENCH_EVENTS, BENCH_ACCOUNTS, WEBHOOK_CONCURRENCY to change the sizes.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { DataSource } from 'typeorm';
import { Agent, request } from 'undici';
import { inTransaction } from '#database';
import { emitEvents, eventPayload, WebhookDispatcher } from '#webhooks';
import { benchApp, call, report, runBench, signUpUser } from './support.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 100);
const CONCURRENCY = Number(process.env.WEBHOOK_CONCURRENCY ?? 64);
const EMIT_BATCH = 1_000;

/** A receiver on its own thread, so that it does not share the event loop it is measured against. */
async function startReceiver(): Promise<{ url: string; close(): Promise<number> }> {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     const http = require('node:http');
     const server = http.createServer((req, res) => {
       req.resume();
       req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
     });
     server.keepAliveTimeout = 60000;
     server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
     parentPort.on('message', () => server.close());`,
    { eval: true },
  );
  const port = await new Promise<number>((resolve) => worker.once('message', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      worker.postMessage('close');
      return worker.terminate();
    },
  };
}

async function run(databaseUrl: string): Promise<void> {
  const receiver = await startReceiver();
  // The delivery job must not start before the events are in: it is started by hand below.
  process.env.HEIRLOOM_DISABLE_JOBS = '1';
  const { app, url } = await benchApp(databaseUrl, {
    WEBHOOK_CONCURRENCY: String(CONCURRENCY),
    WEBHOOK_POLL_INTERVAL_MS: '20',
  });
  delete process.env.HEIRLOOM_DISABLE_JOBS;
  try {
    const dataSource = app.get(DataSource);
    const accounts: string[] = [];
    for (let i = 0; i < ACCOUNTS; i++) {
      const user = await signUpUser(app, url);
      await call(
        url,
        'POST',
        '/me/webhooks',
        { url: `${receiver.url}/hooks/${i}`, eventTypes: ['order.paid'], idempotencyKey: `bench-${i}-hook` },
        user.token,
      );
      accounts.push(user.id);
    }

    const emitStarted = performance.now();
    for (let from = 0; from < EVENTS; from += EMIT_BATCH) {
      const batch = Array.from({ length: Math.min(EMIT_BATCH, EVENTS - from) }, (_, i) => {
        const n = from + i;
        return {
          type: 'order.paid' as const,
          accountIds: [accounts[n % ACCOUNTS]],
          data: { orderId: randomUUID(), tokenId: `tok_bench${n}`, amountMinor: 2500, currency: 'USD' },
        };
      });
      await inTransaction(dataSource, (manager) => emitEvents(manager, batch));
    }
    const emitMs = performance.now() - emitStarted;
    console.log(
      `emitted ${EVENTS} events in ${(emitMs / 1000).toFixed(2)} s (${((EVENTS / emitMs) * 1000).toFixed(0)}/s)`,
    );

    const dispatcher = app.get(WebhookDispatcher);
    const started = performance.now();
    const cpu0 = process.cpuUsage();
    dispatcher.start();
    // Cheap to ask (the partial index of pending deliveries), so that asking does not slow delivery.
    for (;;) {
      const [{ pending }] = await dataSource.query(
        `SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE status = 'pending') AS pending`,
      );
      if (!pending) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const deliverMs = performance.now() - started;
    const cpuMicros = cpuSince(cpu0);
    await dispatcher.stop();
    const [{ delivered, attempts }] = await dataSource.query(
      `SELECT (SELECT count(*)::int FROM webhook_deliveries WHERE status = 'delivered') AS delivered,
              (SELECT count(*)::int FROM webhook_attempts) AS attempts`,
    );
    if (delivered !== EVENTS || attempts !== EVENTS)
      throw new Error(`${delivered} delivered and ${attempts} attempts logged for ${EVENTS} events`);

    const baseline = await plainPosts(receiver.url);
    const eventsPerSecond = (EVENTS / deliverMs) * 1000;
    const baselinePerSecond = (EVENTS / baseline.ms) * 1000;
    console.log(
      `API process CPU per event: ${(cpuMicros / EVENTS).toFixed(0)} µs (baseline ${(baseline.cpuMicros / EVENTS).toFixed(0)} µs; PostgreSQL's not counted)`,
    );
    console.log(
      `delivered ${EVENTS} events to ${ACCOUNTS} endpoints in ${(deliverMs / 1000).toFixed(2)} s, concurrency ${CONCURRENCY}`,
    );
    report('webhook delivery', eventsPerSecond, 'events/s', baselinePerSecond, '≥ 1,000 events/s');
  } finally {
    await app.close();
    await receiver.close();
  }
}

/** CPU time (user + system, µs) this process (the receiver's thread included) used since `start`. */
function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

/** EVENTS plain POSTs of event-sized bodies at CONCURRENCY, no database, no signing: time and CPU. */
async function plainPosts(receiverUrl: string): Promise<{ ms: number; cpuMicros: number }> {
  const agent = new Agent({ connections: CONCURRENCY, keepAliveTimeout: 30_000 });
  const body = eventPayload({
    id: `evt_${randomUUID().replaceAll('-', '')}`,
    type: 'order.paid',
    createdAt: new Date(),
    dataJson: JSON.stringify({
      orderId: randomUUID(),
      tokenId: 'tok_bench1',
      amountMinor: 2500,
      currency: 'USD',
    }),
  });
  let next = 0;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < EVENTS) {
        const n = next++;
        const response = await request(`${receiverUrl}/hooks/${n % ACCOUNTS}`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json' },
          body,
        });
        await response.body.text();
        if (response.statusCode !== 200) throw new Error(`baseline POST answered ${response.statusCode}`);
      }
    }),
  );
  const ms = performance.now() - started;
  const cpuMicros = cpuSince(cpu0);
  await agent.close();
  return { ms, cpuMicros };
}

runBench(run);
