import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { HeirloomConfig } from '#config';
import {
  ensureDatabase,
  migrate,
  startEmbeddedPostgres,
  withDatabase,
  type RunningPostgres,
} from '#database';
import { createLogger, PinoNestLogger, ProblemFilter, strictValidationPipe } from '#http';
import { AppModule } from './app.module.js';
import { schema } from './schema.js';

/** The database to use: DATABASE_URL, or an embedded PostgreSQL under the data folder. */
export async function resolveDatabase(
  config: HeirloomConfig,
): Promise<{ url: string; embedded?: RunningPostgres }> {
  if (config.databaseUrl) return { url: config.databaseUrl };
  const embedded = await startEmbeddedPostgres(config.dataDir, config.embeddedPostgresPort);
  const url = withDatabase(embedded.url, 'heirloom');
  await ensureDatabase(url);
  return { url, embedded };
}

/** Builds the HTTP application (migrations applied) without listening. */
export async function createApp(
  config: HeirloomConfig,
  databaseUrl: string,
): Promise<NestFastifyApplication> {
  await migrate(databaseUrl, schema);
  const logger = createLogger(config.logLevel);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    bodyLimit: config.maxJsonBodyBytes,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    trustProxy: process.env.TRUST_PROXY === '1',
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, databaseUrl),
    adapter,
    {
      logger: new PinoNestLogger(logger),
      rawBody: true,
    },
  );
  const fastify = app.getHttpAdapter().getInstance();
  // Only JSON bodies (and the upload routes' own parsers): anything else is a 415, not a 500.
  fastify.removeContentTypeParser('text/plain');
  // Media uploads stream through untouched; the content lib sniffs, limits and hashes them.
  fastify.addContentTypeParser(
    /^(image|video|audio|model)\/|^application\/octet-stream/,
    (_request, payload, done) => done(null, payload),
  );
  fastify.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  app.useGlobalFilters(new ProblemFilter());
  app.useGlobalPipes(strictValidationPipe());
  app.enableShutdownHooks();

  const openApi = new DocumentBuilder()
    .setTitle('Heirloom API')
    .setDescription('Fiat-settled digital collectibles on a permissioned, verifiable ledger')
    .setVersion('0.1.0')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, openApi), {
    jsonDocumentUrl: 'docs/openapi.json',
  });
  await app.init();
  return app;
}
