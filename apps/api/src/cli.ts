import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig } from '#config';
import { migrate } from '#database';
import { IdentityService } from '#identity';
import { AppModule } from './app.module.js';
import { resolveDatabase } from './bootstrap.js';
import { schema } from './schema.js';
import { createOperator } from './seed.js';

const USAGE = `heirloom <command>
  migrate                                   apply pending migrations
  create-operator --email E --password P    create an operator account (password also from HEIRLOOM_OPERATOR_PASSWORD)`;

/** Operator command line: runs against the same configuration as the API. */
async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { email: { type: 'string' }, password: { type: 'string' } },
  });
  const command = positionals[0];
  const config = loadConfig();
  const database = await resolveDatabase(config);
  try {
    switch (command) {
      case 'migrate': {
        const applied = await migrate(database.url, schema);
        console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
        return 0;
      }
      case 'create-operator': {
        const email = values.email;
        const password = values.password ?? process.env.HEIRLOOM_OPERATOR_PASSWORD;
        if (!email || !password) throw new UsageError('create-operator needs --email and --password');
        await migrate(database.url, schema);
        const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, database.url), {
          logger: false,
        });
        try {
          console.log(`${email}: ${await createOperator(app.get(IdentityService), email, password)}`);
        } finally {
          await app.close();
        }
        return 0;
      }
      default:
        throw new UsageError(command ? `unknown command ${command}` : 'no command given');
    }
  } finally {
    await database.embedded?.stop();
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) console.error(`${error.message}\n\n${USAGE}`);
    else console.error(error instanceof ConfigError ? error.message : error);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
