import { Module } from '@nestjs/common';
import { SettlementModule } from '#settlement';
import { ReconciliationController } from './reconciliation.controller.js';
import { ReconciliationService } from './reconciliation.service.js';

/** Reconciliation views for operators and auditors (reads other libs' tables; writes none). */
@Module({
  // For the payment port: the processor's own books (Stripe's balance transactions).
  imports: [SettlementModule],
  controllers: [ReconciliationController],
  providers: [ReconciliationService],
  exports: [ReconciliationService],
})
export class ReconciliationModule {}
