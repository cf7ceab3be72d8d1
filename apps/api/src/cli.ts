import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { AuditRunner } from '#audit';
import { ConfigError, loadConfig } from '#config';
import { EmbeddedPostgresError, migrate } from '#database';
import { IdentityService } from '#identity';
import { generateKey } from '#ledger-core';
import { AppModule } from './app.module.js';
import { resolveDatabase } from './bootstrap.js';
import { schema } from './schema.js';
import { createOperator } from './seed.js';

const USAGE = `heirloom <command>
  migrate                                   apply pending migrations
  create-operator --email E --password P    create an operator account (password also from HEIRLOOM_OPERATOR_PASSWORD)
  audit                                     replay the ledger, check checkpoints, diff ownership; exit 1 on any mismatch
  keygen --name NAME                        generate a C2SP Ed25519 key pair (signer key for the config, verifier key to publish)`;

/** Operator command line: runs against the same configuration as the API. */
async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' } },
  });
  const command = positionals[0];
  if (command === 'keygen') {
    if (!values.name) throw new UsageError('keygen needs --name (for the operator: the LEDGER_ORIGIN)');
    const { signerKey, verifierKey } = generateKey(values.name);
    console.log(
      `signer key (keep secret, e.g. LEDGER_SIGNER_KEY): ${signerKey}\nverifier key (publish):            ${verifierKey}`,
    );
    return 0;
  }
  const config = loadConfig();
  // A one-off command leaves the background jobs to the API.
  process.env.HEIRLOOM_DISABLE_JOBS ??= '1';
  // Beside a running API, use its embedded server: operator tasks need no downtime.
  const database = await resolveDatabase(config, { joinRunning: true });
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
      case 'audit': {
        const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, database.url), {
          logger: false,
        });
        try {
          const report = await app.get(AuditRunner).run();
          console.log(JSON.stringify(report, null, 2));
          if (!report.ok) console.error(`AUDIT FAILED: ${report.mismatches.length} mismatch(es)`);
          return report.ok ? 0 : 1;
        } finally {
          await app.close();
        }
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
    else {
      const known = error instanceof ConfigError || error instanceof EmbeddedPostgresError;
      console.error(known ? error.message : error);
    }
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
