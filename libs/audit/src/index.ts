import { Module } from '@nestjs/common';
import { LedgerModule } from '#ledger';
import { MintingModule } from '#minting';
import { AuditController } from './audit.controller.js';
import { AuditRunner } from './audit-runner.js';

/** Operator/auditor audit replay (HTTP and CLI). */
@Module({
  imports: [LedgerModule, MintingModule],
  controllers: [AuditController],
  providers: [AuditRunner],
  exports: [AuditRunner],
})
export class AuditModule {}

export { AuditRunner };
