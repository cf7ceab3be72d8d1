/** Public API of the ledger core: pure, browser-safe hashing, proofs, notes, checkpoints and certificates. */
export { LedgerCoreError } from './errors.js';
export {
  bytesEqual,
  concatBytes,
  fromBase64,
  fromHex,
  fromUtf8,
  hasControlCharacter,
  isWellFormedText,
  toBase64,
  toHex,
  tryFromBase64,
  utf8,
} from './bytes.js';
export { HASH_SIZE, emptyRoot, leafHash, nodeHash, sha256Digest } from './hasher.js';
export {
  MerkleError,
  assertTreeSize,
  bitCeil,
  frontierNodeIds,
  isAlignedRange,
  isPowerOfTwo,
  largestPowerOfTwoBelow,
  nodeCoverage,
  nodeKey,
  rangeNodeIds,
} from './tree-math.js';
export type { MerkleErrorCode, NodeId } from './tree-math.js';
export { CompactRange, foldRight, rangeHash, requireNode, rootOf } from './merkle.js';
export type { NodeLookup, TreeNode } from './merkle.js';
export {
  ProofError,
  consistencyPlan,
  consistencyProof,
  inclusionPlan,
  inclusionProof,
  rootFromInclusionProof,
  rootsFromConsistencyProof,
  verifyConsistency,
  verifyInclusion,
} from './proof.js';
export type { ProofErrorCode, ProofPlan } from './proof.js';
export {
  NoteError,
  addSignatures,
  formatVerifierKey,
  generateKey,
  isValidKeyName,
  keyHash,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
} from './note.js';
export type {
  Ed25519NoteVerifier,
  NoteErrorCode,
  NoteSignature,
  NoteSigner,
  NoteVerifier,
  OpenedNote,
} from './note.js';
export { CheckpointError, formatCheckpoint, parseCheckpoint } from './checkpoint.js';
export type { Checkpoint, CheckpointErrorCode } from './checkpoint.js';
export {
  ENTRY_TYPES,
  EntryError,
  ID_PATTERN,
  decodeEntry,
  encodeEntry,
  encodeEntryText,
  entryLeafHash,
  validateEntry,
} from './entry.js';
export type { EntryErrorCode, EntryType, LedgerEntry } from './entry.js';
export { TRANSITIONS, applyEntry, replayEntries } from './replay.js';
export type {
  ApplyResult,
  LogViolation,
  TokenState,
  TokenStatus,
  Violation,
  ViolationCode,
} from './replay.js';
export { CERTIFICATE_FORMAT, CertificateError, buildCertificate, verifyCertificate } from './certificate.js';
export type {
  CertificateEntry,
  CertificateMapProof,
  CertificateQuorum,
  CertificateVerdict,
  OwnershipCertificate,
  VerifyCertificateOptions,
} from './certificate.js';
export { MemoryTree } from './memory-tree.js';
export { TLOG_PROOF_HEADER, TlogProofError, formatTlogProof, parseTlogProof } from './tlog-proof.js';
export type { TlogProof } from './tlog-proof.js';
export {
  TOKEN_MAP_DEPTH,
  TOKEN_MAP_EMPTY,
  TOKEN_MAP_LINE_KEYWORD,
  TokenMapError,
  buildTokenMapProof,
  buildTokenMapRoot,
  formatTokenMapLine,
  parseTokenMapLine,
  tokenMapKey,
  tokenMapKeyBit,
  tokenMapLeaf,
  tokenMapNode,
  verifyTokenMapProof,
} from './token-map.js';
export type { TokenMapEntry, TokenMapErrorCode, TokenMapProof } from './token-map.js';
export {
  COSIGNATURE_V1_ALG,
  CosignatureError,
  cosignatureKeyId,
  cosignatureLine,
  cosignatureMessage,
  cosignatureTimestamp,
  formatCosignatureVerifierKey,
  generateCosignatureKey,
  parseCosignatureSignerKey,
  parseCosignatureVerifierKey,
} from './cosignature.js';
export type { CosignatureErrorCode, CosignatureSigner, CosignatureVerifier } from './cosignature.js';
export {
  KEY_TYPE_COSIGNATURE_V1,
  KEY_TYPE_ED25519,
  PolicyError,
  decodeVerifierKey,
  describeQuorum,
  displayName,
  formatTlogPolicy,
  parseTlogPolicy,
  policyFromKeys,
  policyFromTrustedKeys,
  quorumMet,
  witnessVerifiers,
} from './tlog-policy.js';
export type { PolicyLog, PolicyWitness, QuorumRule, TlogPolicy } from './tlog-policy.js';
export {
  MAX_BUNDLED_ENTRY,
  MAX_TILE_LEVEL,
  TILE_HEIGHT,
  TILE_WIDTH,
  TileError,
  decodeEntryBundle,
  encodeEntryBundle,
  formatTileIndex,
  isTileInTree,
  parseTilePath,
  tileForNode,
  tileHashes,
  tileNodeLookup,
  tilePath,
  tileWidthInTree,
  treeEntryBundles,
  treeTiles,
} from './tiles.js';
export type { TileErrorCode, TileId } from './tiles.js';
