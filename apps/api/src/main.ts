import 'reflect-metadata';
import { ConfigError, loadConfig } from '#config';
import { createApp, resolveDatabase } from './bootstrap.js';
import { seedOperator } from './seed.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const database = await resolveDatabase(config);
  const app = await createApp(config, database.url);
  await seedOperator(app, config);
  await app.listen({ port: config.port, host: config.host });
  const where = database.embedded ? `embedded PostgreSQL in ${config.dataDir}/postgres` : 'DATABASE_URL';
  console.log(
    `\nHeirloom is running at ${config.publicUrl}  (API docs: ${config.publicUrl}/docs, database: ${where})\n`,
  );
  const stop = async () => {
    await app.close();
    await database.embedded?.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
