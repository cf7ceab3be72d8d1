export * as ledgerCore from './core/index.js';
export type { LedgerEntry } from './core/index.js';
export {
  AuditService,
  type AuditReport,
  type Mismatch,
  type OwnershipReader,
  type OwnershipRow,
} from './audit.service.js';
export { CertificateService } from './certificate.service.js';
export { CheckpointService } from './checkpoint.service.js';
export { LedgerModule } from './ledger.module.js';
export { verifierKeyOf } from './ledger-keys.js';
export { LedgerWriter, type StatementWithEntries } from './ledger-writer.js';
export { ProofService } from './proof.service.js';
export { Sequencer } from './sequencer.js';
