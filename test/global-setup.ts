import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import {
  freePort,
  migrate,
  startEmbeddedPostgres,
  withDatabase,
  type RunningPostgres,
} from '../libs/database/src/index.js';
import { schema } from '../apps/api/src/schema.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

/**
 * One fresh database per test run: on DATABASE_URL's server when set (CI's system PostgreSQL),
 * otherwise on an embedded PostgreSQL in a temporary folder. Migrations run once here.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let embedded: RunningPostgres | undefined;
  let dataDir: string | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    dataDir = await mkdtemp(join(tmpdir(), 'heirloom-test-'));
    embedded = await startEmbeddedPostgres(dataDir, await freePort());
    serverUrl = embedded.url;
  }
  const name = `heirloom_test_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const databaseUrl = withDatabase(serverUrl, name);
  await migrate(databaseUrl, schema);
  project.provide('databaseUrl', databaseUrl);

  return async () => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
    await embedded?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  };
}
