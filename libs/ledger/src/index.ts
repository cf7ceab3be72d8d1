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
export { IntegrityAlerts, type IntegrityAlert, type RecordedIntegrityAlert } from './integrity-alerts.js';
export {
  headDisagreement,
  ledgerHeadOf,
  ledgerMismatches,
  mismatchFromError,
  readLastMove,
  readLedgerHeads,
  rowAgreesOrRefuse,
  type LastMove,
  type LedgerHead,
  type LedgerMismatch,
  type TokenRowState,
} from './ledger-heads.js';
export { TilesService, type ServedTile } from './tiles.service.js';
export { TokenMapStore, type TokenMapProofAt } from './token-map.store.js';
export {
  LedgerIntegrityError,
  loadTreeState,
  readStateForSigning,
  type StoredTreeState,
} from './tree-store.js';
export { parseSeedWitness, type SeedWitness } from './ledger-keys.js';
export { WitnessPusher, type PushOutcome } from './witness-pusher.js';
export {
  SEEDED_BY,
  WitnessRegistry,
  type AllowedWitness,
  type WitnessChange,
  type WitnessPolicy,
  type WitnessStatus,
} from './witness-registry.js';
