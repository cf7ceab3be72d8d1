import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from '#audit';
import { CatalogueModule } from '#catalogue';
import { CheckoutModule } from '#checkout';
import { ConfigModule, HeirloomConfig } from '#config';
import { DatabaseModule } from '#database';
import { HealthModule } from '#health';
import { IdentityModule } from '#identity';
import { LedgerModule } from '#ledger';
import { MintingModule } from '#minting';
import { schema } from './schema.js';

/** Wires the domain libs together; holds no logic of its own. */
@Module({})
export class AppModule {
  static forRoot(config: HeirloomConfig, databaseUrl: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(databaseUrl, schema),
        IdentityModule,
        HealthModule,
        LedgerModule,
        MintingModule,
        CatalogueModule,
        AuditModule,
        CheckoutModule.forRoot(config),
      ],
    };
  }
}
