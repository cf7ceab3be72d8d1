import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ensureDatabase,
  freePort,
  migrate,
  startEmbeddedPostgres,
  withDatabase,
} from '../libs/database/src/index.js';
import { schema } from '../apps/api/src/schema.js';
import { sql, startTestApp } from './support/app.js';
import { createUser } from './support/factories.js';
import { client } from './support/http.js';

describe('restarts', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'heirloom-restart-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps embedded PostgreSQL data across a restart, and migrations are idempotent', async () => {
    const port = await freePort();
    const first = await startEmbeddedPostgres(dataDir, port);
    const url = withDatabase(first.url, 'heirloom');
    await ensureDatabase(url);
    const applied = await migrate(url, schema);
    expect(applied.length).toBe((schema.migrations as unknown[]).length);
    await sql(
      url,
      `INSERT INTO accounts (email, handle, password_hash) VALUES ('keep@example.com', 'keeper', '$argon2id$x')`,
    );
    await first.stop();

    const second = await startEmbeddedPostgres(dataDir, port);
    try {
      await ensureDatabase(url);
      expect(await migrate(url, schema)).toEqual([]); // nothing left to apply
      const rows = await sql(url, `SELECT handle FROM accounts WHERE email = 'keep@example.com'`);
      expect(rows).toEqual([{ handle: 'keeper' }]);
    } finally {
      await second.stop();
    }
  });

  it('keeps accounts and sessions across an app restart', async () => {
    const firstApp = await startTestApp();
    const user = await createUser(firstApp, client(firstApp.url));
    await firstApp.close();
    const secondApp = await startTestApp();
    try {
      const me = await client(secondApp.url)('GET', '/me', { token: user.token });
      expect(me.status).toBe(200);
      expect(me.body.id).toBe(user.id);
    } finally {
      await secondApp.close();
    }
  });
});
