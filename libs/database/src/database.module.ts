import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions, type DatabaseSchema } from './data-source.js';
import { PeriodicJobs } from './periodic-jobs.js';

/** The TypeORM connection plus the lock-guarded periodic job runner. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(url: string, schema: DatabaseSchema): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [TypeOrmModule.forRoot(dataSourceOptions(url, schema))],
      providers: [PeriodicJobs],
      exports: [PeriodicJobs],
    };
  }
}
