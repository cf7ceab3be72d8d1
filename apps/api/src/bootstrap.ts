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
import {
  createLogger,
  PinoNestLogger,
  ProblemFilter,
  problemServerOptions,
  registerBodyParsers,
  registerRequestGuards,
  strictValidationPipe,
} from '#http';
import { databaseUnavailableAsProblem } from '#health';
import { registerWebFront } from '#web-front';
import { completeApiDocument } from './api-docs.js';
import { AppModule } from './app.module.js';
import { schema } from './schema.js';

/**
 * The database to use: DATABASE_URL, or an embedded PostgreSQL under the data folder. With
 * `joinRunning` (the CLI) the embedded server the running API owns is used as it is.
 */
export async function resolveDatabase(
  config: HeirloomConfig,
  { joinRunning = false }: { joinRunning?: boolean } = {},
): Promise<{ url: string; embedded?: RunningPostgres }> {
  if (config.databaseUrl) return { url: config.databaseUrl };
  const embedded = await startEmbeddedPostgres(config.dataDir, config.embeddedPostgresPort, { joinRunning });
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
    trustProxy: process.env.TRUST_PROXY === '1',
    ...problemServerOptions(),
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, databaseUrl),
    adapter,
    {
      logger: new PinoNestLogger(logger),
      // JSON is parsed by registerBodyParsers; the raw bytes stay for Stripe's signature check.
      bodyParser: false,
      rawBody: true,
    },
  );
  // JSON everywhere; raw media bytes only where they are uploaded (the content lib sniffs,
  // limits and hashes them); any other body is a 415 problem.
  registerBodyParsers(app, { binaryRoutes: ['POST /media'], bodyLimit: config.maxJsonBodyBytes });
  registerRequestGuards(app.getHttpAdapter().getInstance());
  app.useGlobalFilters(new ProblemFilter(databaseUnavailableAsProblem));
  app.useGlobalPipes(strictValidationPipe());
  app.enableShutdownHooks();

  const openApi = new DocumentBuilder()
    .setTitle('Heirloom API')
    .setDescription('Fiat-settled digital collectibles on a permissioned, verifiable ledger')
    .setVersion('0.1.0')
    .addBearerAuth()
    .build();
  const document = () => completeApiDocument(SwaggerModule.createDocument(app, openApi), app);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs/openapi.json',
  });
  if (!(await registerWebFront(app.getHttpAdapter().getInstance()))) {
    logger.warn('the web front is not built (npm run build): only the API is served');
  }
  await app.init();
  return app;
}
