import pg from 'pg';
import { DataSource, DataSourceOptions, MixedList } from 'typeorm';

export interface DatabaseSchema {
  // TypeORM's own types for these lists; classes, not globs, so sources and dist share one config.
  entities: MixedList<Function>; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function>; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
}

/**
 * The pool's connections. When a connection breaks, the pool (idle) or TypeORM (checked out) drops
 * it and stops listening to it, yet the server's "terminating connection" message may still arrive
 * afterwards; an 'error' event nobody listens to would end the process. Errors that matter reach
 * the query that was running, so a late one is dropped here.
 */
class PoolClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on('error', () => undefined);
  }
}

/** TypeORM options for PostgreSQL; schema changes come only from migrations. */
export function dataSourceOptions(url: string, schema: DatabaseSchema): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: schema.entities,
    migrations: schema.migrations,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false, // expected failures (unique violations) are handled; others reach the problem filter
    extra: { max: Number(process.env.DATABASE_POOL_SIZE ?? 20), Client: PoolClient },
  };
}

/** Applies pending migrations; safe to run repeatedly and from several processes. */
export async function migrate(url: string, schema: DatabaseSchema): Promise<string[]> {
  const dataSource = new DataSource(dataSourceOptions(url, schema));
  await dataSource.initialize();
  try {
    // One migrator at a time across processes.
    await dataSource.query('SELECT pg_advisory_lock(7253001)');
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    await dataSource.query('SELECT pg_advisory_unlock(7253001)');
    return applied.map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}
