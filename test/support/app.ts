import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { inject } from 'vitest';
import { loadConfig, type HeirloomConfig } from '../../libs/config/src/index.js';
import { createApp } from '../../apps/api/src/bootstrap.js';

export interface TestApp {
  app: NestFastifyApplication;
  config: HeirloomConfig;
  url: string;
  databaseUrl: string;
  close(): Promise<void>;
}

/** The real app on the run's test database, listening on a free loopback port. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const databaseUrl = inject('databaseUrl');
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'warn',
    AUTH_RATE_LIMIT_PER_ADDRESS: '100000',
    AUTH_RATE_LIMIT_PER_ACCOUNT: '1000',
    ...env,
  });
  const app = await createApp(config, databaseUrl);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, config, url: `http://127.0.0.1:${port}`, databaseUrl, close: () => app.close() };
}
