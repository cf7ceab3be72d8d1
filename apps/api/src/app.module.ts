import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from '#audit';
import { CatalogueModule } from '#catalogue';
import { CheckoutModule } from '#checkout';
import { ConfigModule, HeirloomConfig } from '#config';
import { CustodyModule } from '#custody';
import { DataRightsModule } from '#data-rights';
import { DatabaseModule } from '#database';
import { HealthModule } from '#health';
import { IdentityModule } from '#identity';
import { LedgerModule } from '#ledger';
import { MarketModule } from '#market';
import { MintingModule } from '#minting';
import { NotificationsModule } from '#notifications';
import { OperatorTrailModule } from '#operator-trail';
import { PayoutsModule } from '#payouts';
import { PoliciesModule } from '#policies';
import { ReconciliationModule } from '#reconciliation';
import { SettlementModule } from '#settlement';
import { WebhooksModule } from '#webhooks';
import { schema } from './schema.js';

/** Wires the domain libs together; holds no logic of its own. */
@Module({})
export class AppModule {
  static forRoot(config: HeirloomConfig, databaseUrl: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(databaseUrl, schema, config.readReplica),
        IdentityModule,
        HealthModule,
        LedgerModule,
        MintingModule,
        CatalogueModule,
        AuditModule,
        MarketModule,
        CheckoutModule.forRoot(config),
        SettlementModule,
        OperatorTrailModule,
        NotificationsModule,
        PoliciesModule,
        CustodyModule,
        DataRightsModule,
        PayoutsModule,
        WebhooksModule,
        ReconciliationModule,
      ],
    };
  }
}
