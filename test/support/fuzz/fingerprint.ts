// A cheap fingerprint of everything a request can write: per table, the row count and a hash of
// the rows' text (order-independent), plus the names and sizes of the files in the content store.
// Comparing the one before a rejected request with the one after catches a half-written request.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';

/**
 * Tables a rejected request may legitimately write:
 * - rate_limit_hits: sign-in and sign-up attempts are counted whether or not they succeed — a
 *   wrong password (401) or a rate-limited attempt (429) must still count toward the limit.
 */
const WRITTEN_BY_REJECTED_REQUESTS = new Set(['rate_limit_hits']);

/**
 * Writes a rejected request is documented to make, by the problem code it answers with:
 * - payment-request-invalid: payment details the rail refuses end the order (failed) and put its
 *   edition back on sale, so one account cannot hold editions with details that never pay.
 */
const DOCUMENTED_WRITES: Record<string, string[]> = {
  'payment-request-invalid': ['orders', 'listings'],
};

/** The tables the answer's problem code allows a rejected request to write. */
export function documentedWrites(answer: { contentType: string; text: string }): string[] {
  if (!answer.contentType.includes('json')) return [];
  try {
    const code =
      String((JSON.parse(answer.text) as { type?: unknown }).type ?? '')
        .split('/')
        .pop() ?? '';
    return DOCUMENTED_WRITES[code] ?? [];
  } catch {
    return [];
  }
}

export type Fingerprint = Map<string, string>;

export interface Fingerprinter {
  take(): Promise<Fingerprint>;
  close(): Promise<void>;
}

/** Opens one connection and prepares the fingerprint query over every table of the schema. */
export async function fingerprinter(databaseUrl: string, contentDir: string): Promise<Fingerprinter> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const { rows } = await db.query<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
  );
  const tables = rows.map((row) => row.name).filter((name) => !WRITTEN_BY_REJECTED_REQUESTS.has(name));
  const text = tables
    .map(
      (name) =>
        `SELECT '${name}' AS name, count(*)::text || ':' || coalesce(md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))), '') AS digest FROM "${name}" t`,
    )
    .join('\nUNION ALL ');
  return {
    async take() {
      const result = await db.query<{ name: string; digest: string }>({ name: 'fuzz-fingerprint', text });
      const fingerprint: Fingerprint = new Map(result.rows.map((row) => [row.name, row.digest]));
      fingerprint.set('(content store files)', (await listFiles(contentDir)).join(','));
      return fingerprint;
    },
    close: () => db.end(),
  };
}

/** What differs between two fingerprints, one line per table or store, except in `allowed` tables. */
export function differences(before: Fingerprint, after: Fingerprint, allowed: string[] = []): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names]
    .filter((name) => before.get(name) !== after.get(name) && !allowed.includes(name))
    .map((name) => `${name}: ${summary(before.get(name))} -> ${summary(after.get(name))}`);
}

function summary(digest: string | undefined): string {
  if (digest === undefined) return '(absent)';
  return digest.length > 80 ? `${digest.slice(0, 80)}…` : digest;
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path, `${prefix}${entry.name}/`)));
    else files.push(`${prefix}${entry.name}:${(await stat(path).catch(() => ({ size: -1 }))).size}`);
  }
  return files.sort();
}
