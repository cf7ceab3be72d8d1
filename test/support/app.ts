import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import { inject } from 'vitest';
import { loadConfig, type HeirloomConfig } from '../../libs/config/src/index.js';
import { migrate, withDatabase } from '../../libs/database/src/index.js';
import { createApp } from '../../apps/api/src/bootstrap.js';
import { schema } from '../../apps/api/src/schema.js';
import { operatorKeys, TEST_ORIGIN, witnessKeys } from './keys.js';

/** Settings every test app shares: quiet logs, the fixed test keys, fast ledger jobs. */
export const TEST_APP_ENV: Record<string, string> = {
  LOG_LEVEL: 'warn',
  AUTH_RATE_LIMIT_PER_ADDRESS: '100000',
  AUTH_RATE_LIMIT_PER_ACCOUNT: '1000',
  LEDGER_ORIGIN: TEST_ORIGIN,
  LEDGER_SIGNER_KEY: operatorKeys.signerKey,
  LEDGER_WITNESS_KEYS: witnessKeys.verifierKey,
  LEDGER_WITNESS_QUORUM: '1',
  LEDGER_SEQUENCE_INTERVAL_MS: '50',
  CHECKPOINT_INTERVAL_MS: '200',
};

export interface TestApp {
  app: NestFastifyApplication;
  config: HeirloomConfig;
  url: string;
  databaseUrl: string;
  close(): Promise<void>;
}

/**
 * The real app on the run's test database (or `databaseUrl`), listening on a free loopback port.
 * `jobs: false` keeps its background jobs from ticking, for tests that run those steps themselves
 * (`PeriodicJobs.runNow`) and must not race them.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  databaseUrl = inject('databaseUrl'),
  { jobs = true }: { jobs?: boolean } = {},
): Promise<TestApp> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    HEIRLOOM_DATA_DIR: mkdtempSync(join(tmpdir(), 'heirloom-app-')),
    ...TEST_APP_ENV,
    ...env,
  });
  if (!jobs) process.env.HEIRLOOM_DISABLE_JOBS = '1';
  let app: NestFastifyApplication;
  try {
    app = await createApp(config, databaseUrl);
    await app.listen({ port: 0, host: '127.0.0.1' });
  } finally {
    if (!jobs) delete process.env.HEIRLOOM_DISABLE_JOBS;
  }
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, config, url: `http://127.0.0.1:${port}`, databaseUrl, close: () => app.close() };
}

/**
 * A fresh, migrated database on the run's server, for tests that tamper with data; `upTo` stops
 * before the named migration (for tests of a migration on data written by the schema before it).
 */
export async function createScratchDatabase(upTo?: string): Promise<{ url: string; drop(): Promise<void> }> {
  const base = inject('databaseUrl');
  const name = `heirloom_scratch_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const admin = withDatabase(base, 'postgres');
  await adminQuery(admin, `CREATE DATABASE ${name}`);
  const url = withDatabase(base, name);
  const names = schema.migrations.map((migration) => (migration as { name: string }).name);
  const stop = upTo === undefined ? names.length : names.indexOf(upTo);
  if (stop < 0) throw new Error(`no migration ${upTo}`);
  await migrate(url, {
    ...schema,
    migrations: (schema.migrations as unknown[]).slice(0, stop) as typeof schema.migrations,
  });
  return { url, drop: () => adminQuery(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** Runs SQL on a database directly (as an attacker with database access would). */
export async function sql<T = any>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

async function adminQuery(url: string, text: string): Promise<void> {
  await sql(url, text);
}
