import { Module, OnModuleInit } from '@nestjs/common';
import { HeirloomConfig } from '#config';
import { PeriodicJobs } from '#database';
import { AuditService } from './audit.service.js';
import { CertificateService } from './certificate.service.js';
import { CheckpointService } from './checkpoint.service.js';
import { IntegrityAlerts } from './integrity-alerts.js';
import { IntegrityAlertsController } from './integrity-alerts.controller.js';
import { LedgerController } from './ledger.controller.js';
import { LedgerKeys, loadLedgerKeys } from './ledger-keys.js';
import { LedgerWriter } from './ledger-writer.js';
import { ProofService } from './proof.service.js';
import { Sequencer } from './sequencer.js';
import { WitnessOperatorController } from './witness-operator.controller.js';
import { WitnessPusher } from './witness-pusher.js';
import { WitnessRegistry } from './witness-registry.js';
import { TilesController } from './tiles.controller.js';
import { TilesService } from './tiles.service.js';
import { TokenMapStore } from './token-map.store.js';

@Module({
  controllers: [LedgerController, IntegrityAlertsController, TilesController, WitnessOperatorController],
  providers: [
    { provide: LedgerKeys, useFactory: loadLedgerKeys, inject: [HeirloomConfig] },
    LedgerWriter,
    Sequencer,
    CheckpointService,
    ProofService,
    CertificateService,
    AuditService,
    IntegrityAlerts,
    WitnessRegistry,
    WitnessPusher,
    TilesService,
    TokenMapStore,
  ],
  exports: [
    LedgerWriter,
    Sequencer,
    CheckpointService,
    ProofService,
    CertificateService,
    AuditService,
    IntegrityAlerts,
    WitnessRegistry,
    TokenMapStore,
  ],
})
export class LedgerModule implements OnModuleInit {
  constructor(
    private readonly jobs: PeriodicJobs,
    private readonly config: HeirloomConfig,
    private readonly sequencer: Sequencer,
    private readonly checkpoints: CheckpointService,
  ) {}

  onModuleInit(): void {
    this.jobs.register('ledger-sequencer', this.config.sequencerIntervalMs, () => this.sequencer.runJob());
    this.jobs.register('ledger-checkpoint', this.config.checkpointIntervalMs, async () => {
      await this.checkpoints.checkpointIfGrown();
    });
  }
}
