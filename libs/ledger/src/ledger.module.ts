import { Module, OnModuleInit } from '@nestjs/common';
import { HeirloomConfig } from '#config';
import { PeriodicJobs } from '#database';
import { AuditService } from './audit.service.js';
import { CertificateService } from './certificate.service.js';
import { CheckpointService } from './checkpoint.service.js';
import { LedgerController } from './ledger.controller.js';
import { LedgerKeys, loadLedgerKeys } from './ledger-keys.js';
import { LedgerWriter } from './ledger-writer.js';
import { ProofService } from './proof.service.js';
import { Sequencer } from './sequencer.js';

@Module({
  controllers: [LedgerController],
  providers: [
    { provide: LedgerKeys, useFactory: loadLedgerKeys, inject: [HeirloomConfig] },
    LedgerWriter,
    Sequencer,
    CheckpointService,
    ProofService,
    CertificateService,
    AuditService,
  ],
  exports: [LedgerWriter, Sequencer, CheckpointService, ProofService, CertificateService, AuditService],
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
