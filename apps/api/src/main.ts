import 'reflect-metadata';
import { ConfigError, HeirloomConfig, loadConfig } from '#config';
import { EmbeddedPostgresError, type RunningPostgres } from '#database';
import { createApp, resolveDatabase } from './bootstrap.js';
import { seedOperator } from './seed.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const database = await resolveDatabase(config);
  const app = await createApp(config, database.url);
  await seedOperator(app, config);
  await app.listen({ port: config.port, host: config.host });
  process.stdout.write(startupBanner(config, database.embedded));
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => fail(new Error('did not stop within 20 s')), 20_000).unref();
    try {
      await app.close();
    } finally {
      await database.embedded?.stop();
    }
    process.exit(0);
  };
  // `on`, not `once`: Nest's shutdown hook re-raises the signal after its own cleanup, which
  // would otherwise end the process before the database has stopped.
  const onSignal = () => void stop().catch(fail);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/**
 * What is running where, as a few aligned lines for a person, printed once on stdout apart from
 * the JSON log lines (one write, so no log line lands inside it).
 */
function startupBanner(config: HeirloomConfig, embedded: RunningPostgres | undefined): string {
  const rows: [string, string][] = [
    ['URL', config.publicUrl],
    ['API docs', `${config.publicUrl}/docs`],
    ['data folder', config.dataDir],
    [
      'database',
      embedded
        ? `embedded PostgreSQL on port ${embedded.port} (${config.dataDir}/postgres)`
        : `DATABASE_URL (${withoutCredentials(config.databaseUrl)})`,
    ],
    [
      'payments',
      config.stripeSecretKey
        ? `Stripe (${config.stripeSecretKey.includes('_live_') ? 'live' : 'test'} mode)`
        : 'sandbox card rail (test cards, no real money)',
    ],
    [
      'content',
      config.ipfsApiUrl
        ? `Kubo at ${withoutCredentials(config.ipfsApiUrl)}`
        : `local store (${config.dataDir}/content)`,
    ],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`);
  return `\nHeirloom is running\n${lines.join('\n')}\n\n`;
}

function withoutCredentials(url: string | undefined): string {
  try {
    const parsed = new URL(url ?? '');
    parsed.username = '';
    parsed.password = '';
    return parsed.href;
  } catch {
    return 'unparseable URL';
  }
}

/** A problem the person starting Heirloom can fix gets its message alone; anything else its stack. */
function fail(error: unknown): never {
  const known = error instanceof ConfigError || error instanceof EmbeddedPostgresError;
  console.error(known ? error.message : error);
  process.exit(1);
}

main().catch(fail);
