import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { dataSourceOptions, type DatabaseSchema } from './data-source.js';
import { PeriodicJobs } from './periodic-jobs.js';
import { READ_REPLICA, ReadRouter, type ReadReplica } from './read-router.js';

export interface ReadReplicaOptions {
  /** A streaming replica's URL; unset, every read uses the primary and nothing changes. */
  url?: string;
  maxLagMs: number;
}

/** The TypeORM connection, the optional read replica's pool, and the lock-guarded periodic job runner. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(
    url: string,
    schema: DatabaseSchema,
    read: ReadReplicaOptions = { maxLagMs: 2000 },
  ): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [TypeOrmModule.forRoot(dataSourceOptions(url, schema))],
      providers: [
        PeriodicJobs,
        {
          provide: READ_REPLICA,
          useFactory: async (): Promise<ReadReplica> => {
            if (!read.url) return { maxLagMs: read.maxLagMs };
            const options = dataSourceOptions(url, { ...schema, migrations: [] });
            const replica = new DataSource({
              ...options,
              url: read.url,
              extra: { ...options.extra, max: Number(process.env.DATABASE_READ_POOL_SIZE ?? 10) },
            } as typeof options);
            // A replica that cannot be reached at start-up must not stop the API: the ReadRouter
            // connects it later, and reads use the primary meanwhile.
            await replica.initialize().catch(() => undefined);
            return { dataSource: replica, maxLagMs: read.maxLagMs };
          },
        },
        ReadRouter,
      ],
      exports: [PeriodicJobs, ReadRouter],
    };
  }
}
