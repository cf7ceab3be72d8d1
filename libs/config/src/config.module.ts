import { DynamicModule, Global, Module } from '@nestjs/common';
import { HeirloomConfig } from './config.js';

/** Makes the validated HeirloomConfig injectable everywhere. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: HeirloomConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: HeirloomConfig, useValue: config }],
      exports: [HeirloomConfig],
    };
  }
}
