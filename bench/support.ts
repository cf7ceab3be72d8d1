import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig, type HeirloomConfig } from '#config';
import { freePort, migrate, startEmbeddedPostgres, withDatabase, type RunningPostgres } from '#database';
import { IdentityService, type Role } from '#identity';
import { createApp } from '../apps/api/src/bootstrap.js';
import { schema } from '../apps/api/src/schema.js';

export interface BenchDatabase {
  url: string;
  close(): Promise<void>;
}

/**
 * A fresh, migrated database for one benchmark run: on DATABASE_URL's server when set, otherwise on
 * an embedded PostgreSQL in a temporary folder. Dropped afterwards.
 */
export async function benchDatabase(): Promise<BenchDatabase> {
  let embedded: RunningPostgres | undefined;
  let dataDir: string | undefined;
  let server = process.env.DATABASE_URL;
  if (!server) {
    dataDir = mkdtempSync(join(tmpdir(), 'heirloom-bench-'));
    embedded = await startEmbeddedPostgres(dataDir, await freePort());
    server = embedded.url;
  }
  const name = `heirloom_bench_${Date.now()}`;
  await adminQuery(withDatabase(server, 'postgres'), `CREATE DATABASE ${name}`);
  const url = withDatabase(server, name);
  await migrate(url, schema);
  return {
    url,
    async close() {
      await adminQuery(withDatabase(server, 'postgres'), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await embedded?.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The real API on a bench database (background jobs as configured by `env`). */
export async function benchApp(databaseUrl: string, env: Record<string, string> = {}) {
  const config: HeirloomConfig = loadConfig({
    DATABASE_URL: databaseUrl,
    HEIRLOOM_DATA_DIR: mkdtempSync(join(tmpdir(), 'heirloom-bench-app-')),
    LOG_LEVEL: 'warn',
    AUTH_RATE_LIMIT_PER_ADDRESS: '1000000',
    AUTH_RATE_LIMIT_PER_ACCOUNT: '1000000',
    ...env,
  });
  const app = await createApp(config, databaseUrl);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, config, url: `http://127.0.0.1:${port}` };
}

/** API processes started by `startApiProcesses`. */
export interface ApiProcesses {
  urls: string[];
  pids: number[];
  stop(): Promise<void>;
}

/**
 * `count` processes of the built API (dist/apps/api/src/main.js) on `databaseUrl`, with benchApp's
 * settings plus `env`; resolves once each answers GET /ready. They end with the bench process.
 */
export async function startApiProcesses(
  databaseUrl: string,
  count: number,
  env: Record<string, string> = {},
): Promise<ApiProcesses> {
  const main = new URL('../apps/api/src/main.js', import.meta.url);
  const started = await Promise.all(
    Array.from({ length: count }, async () => {
      const port = await freePort();
      const dataDir = mkdtempSync(join(tmpdir(), 'heirloom-bench-api-'));
      const child = spawn(process.execPath, [main.pathname], {
        env: {
          PATH: process.env.PATH ?? '',
          DATABASE_URL: databaseUrl,
          ...(process.env.DATABASE_POOL_SIZE ? { DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE } : {}),
          HOST: '127.0.0.1',
          PORT: String(port),
          HEIRLOOM_DATA_DIR: dataDir,
          LOG_LEVEL: 'warn',
          AUTH_RATE_LIMIT_PER_ADDRESS: '1000000',
          AUTH_RATE_LIMIT_PER_ACCOUNT: '1000000',
          ...env,
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      process.once('exit', () => child.kill('SIGKILL'));
      const url = `http://127.0.0.1:${port}`;
      await waitUntilReady(url, child);
      return { url, child, dataDir };
    }),
  );
  return {
    urls: started.map((p) => p.url),
    pids: started.map((p) => p.child.pid!),
    async stop() {
      await Promise.all(
        started.map(
          ({ child, dataDir }) =>
            new Promise<void>((resolve) => {
              child.once('exit', () => {
                rmSync(dataDir, { recursive: true, force: true });
                resolve();
              });
              child.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

async function waitUntilReady(url: string, child: ReturnType<typeof spawn>): Promise<void> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    if (child.exitCode !== null) throw new Error(`API process at ${url} exited with ${child.exitCode}`);
    const ready = await fetch(`${url}/ready`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`API process at ${url} did not become ready`);
}

/**
 * Runs one benchmark on a fresh database, drops it afterwards, prints the total time, and exits
 * non-zero on failure.
 */
export function runBench(run: (databaseUrl: string) => Promise<void>): void {
  const started = performance.now();
  void (async () => {
    const db = await benchDatabase();
    try {
      await run(db.url);
    } finally {
      await db.close();
    }
    console.log(`total bench time ${((performance.now() - started) / 1000).toFixed(1)} s`);
  })().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

/** Percentile (0..100) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Prints one figure beside its baseline and their ratio. */
export function report(figure: string, value: number, unit: string, baseline: number, target?: string): void {
  const ratio = baseline === 0 ? Infinity : value / baseline;
  const line = `${figure}: ${value.toFixed(1)} ${unit} | baseline ${baseline.toFixed(1)} ${unit} | ratio ${ratio.toFixed(2)}`;
  console.log(target ? `${line} | target ${target}` : line);
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A JSON call to the API that must succeed (2xx); answers the parsed body. */
export async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<any> {
  const response = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

/** A new account, signed in; with `roles` granted directly (no operator needed). */
export async function signUpUser(
  app: { get: (type: typeof IdentityService) => IdentityService },
  url: string,
  roles: Role[] = [],
): Promise<{ id: string; handle: string; token: string }> {
  const suffix = randomUUID().slice(0, 8);
  const credentials = { email: `bench-${suffix}@example.com`, password: `pw-${randomUUID()}` };
  const handle = `bench_${suffix}`;
  const signUp = await call(url, 'POST', '/auth/sign-up', { ...credentials, handle });
  for (const role of roles) await app.get(IdentityService).setRole(signUp.id, role, true);
  const signIn = await call(url, 'POST', '/auth/sign-in', credentials);
  return { id: signUp.id, handle, token: signIn.token };
}

/** A new approved creator, signed in. */
export function signUpCreator(app: { get: (type: typeof IdentityService) => IdentityService }, url: string) {
  return signUpUser(app, url, ['creator']);
}

/** Uploads a 1×1 PNG as the caller; answers its CID. */
export async function uploadPng(url: string, token: string): Promise<string> {
  const png = Buffer.from(
    '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
    'hex',
  );
  const response = await fetch(`${url}/media`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'image/png' },
    body: png,
  });
  if (response.status !== 201) throw new Error(`upload: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { cid: string }).cid;
}

/** A new collection of the caller (5 % royalty, default policy); answers its id. */
export async function createBenchCollection(
  url: string,
  token: string,
  policy?: Record<string, unknown>,
): Promise<string> {
  const body = { name: `Bench ${randomUUID().slice(0, 6)}`, royaltyBps: 500, ...(policy ? { policy } : {}) };
  return (await call(url, 'POST', '/collections', body, token)).id;
}
