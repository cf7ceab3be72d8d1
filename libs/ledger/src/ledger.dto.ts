import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBooleanString, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import type { CheckpointService } from './checkpoint.service.js';
import {
  CERTIFICATE_FORMAT,
  ENTRY_TYPES,
  type CertificateEntry,
  type CertificateMapProof,
  type CertificateQuorum,
  type EntryType,
  type LedgerEntry,
  type OwnershipCertificate,
} from './core/index.js';

export class CheckpointQuery {
  @ApiPropertyOptional({ description: 'Only a checkpoint that reached the witness quorum' })
  @IsOptional()
  @IsBooleanString()
  final?: string;
}

export class EntriesQuery {
  @ApiProperty() @Type(() => Number) @IsInt() @Min(0) start!: number;
  @ApiProperty({ description: 'Exclusive; at most 1000 entries per call' })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  end!: number;
}

export class InclusionQuery {
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(0) index?: number;
  @ApiPropertyOptional({ description: 'Leaf hash (hex) instead of an index' })
  @IsOptional()
  @Matches(/^[0-9a-f]{64}$/i)
  leafHash?: string;
  @ApiPropertyOptional({ description: 'Tree size (default: current)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  size?: number;
}

export class ConsistencyQuery {
  @ApiProperty() @Type(() => Number) @IsInt() @Min(0) from!: number;
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(1) to?: number;
}

export class CosignatureDto {
  @ApiProperty({ description: 'The checkpoint note as the witness co-signed it' })
  @IsString()
  @MaxLength(20_000)
  note!: string;
}

export class SizeParam {
  @ApiProperty() @Type(() => Number) @IsInt() @Min(1) @Max(Number.MAX_SAFE_INTEGER) size!: number;
}

/** What a CheckpointService method answers: views implement it, so they cannot drift. */
type Answer<K extends keyof CheckpointService> = Awaited<ReturnType<CheckpointService[K]>>;
type VerifierKeys = Answer<'verifierKeys'>;
type CosignatureOutcome = Answer<'addCosignatures'>;

export class VerifierKeysView implements VerifierKeys {
  @ApiProperty({ description: "The operator's note verifier key (name+hash+key)" }) operator!: string;
  @ApiProperty({ type: [String], description: 'Verifier keys of the allow-listed witnesses' })
  witnesses!: string[];
  @ApiProperty({ type: 'integer', description: 'Witness co-signatures a checkpoint needs to be final' })
  quorum!: number;
}

/** One ownership event exactly as it is hashed into the log (see ENCODING.md). */
export class LedgerEntryBodyView implements LedgerEntry {
  @ApiProperty({ enum: [1] }) v!: 1;
  @ApiProperty({ enum: ENTRY_TYPES }) type!: EntryType;
  @ApiProperty({ description: 'Token id' }) token!: string;
  @ApiProperty({ type: 'integer', description: "The token's own event number: 0 for the mint, then +1" })
  seq!: number;
  @ApiProperty({ type: String, nullable: true, description: 'Pseudonymous account; null for a mint' })
  from!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pseudonymous account; null for freeze, unfreeze, burn',
  })
  to!: string | null;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiPropertyOptional({ description: 'Opaque id of the order, refund or reason record behind the event' })
  ref?: string;
}

export class LedgerEntryView {
  @ApiProperty({ type: 'integer', description: 'Position in the log' }) index!: number;
  @ApiProperty({ description: 'SHA-256(0x00 || entry bytes), hex' }) leafHash!: string;
  @ApiProperty({ description: "The entry's canonical bytes (RFC 8785 JSON), base64" }) entryBase64!: string;
  @ApiProperty({ type: () => LedgerEntryBodyView }) entry!: LedgerEntryBodyView;
}

const PROOF_HASHES = 'Hashes, base64, bottom-up as RFC 9162 orders them';
const PROOF: ApiPropertyOptions = { type: [String], description: PROOF_HASHES };

export class HistoryEntryView extends LedgerEntryView {
  @ApiProperty({ ...PROOF, description: `Inclusion proof in the tree of treeSize; ${PROOF_HASHES}` })
  proof!: string[];
}

export class TokenHistoryView {
  @ApiProperty() tokenId!: string;
  @ApiProperty({ type: 'integer', description: 'Size of the tree the proofs are for' }) treeSize!: number;
  @ApiProperty({ description: 'Root hash of that tree, base64' }) rootHash!: string;
  @ApiProperty({ type: [HistoryEntryView], description: 'Mint first, in log order' })
  entries!: HistoryEntryView[];
}

export class InclusionProofView {
  @ApiProperty({ type: 'integer' }) index!: number;
  @ApiProperty({ type: 'integer', description: 'Tree size the proof is for' }) size!: number;
  @ApiProperty(PROOF) proof!: string[];
}

export class ConsistencyProofView {
  @ApiProperty({ type: 'integer' }) from!: number;
  @ApiProperty({ type: 'integer' }) to!: number;
  @ApiProperty(PROOF) proof!: string[];
}

export class CertificateEntryView implements CertificateEntry {
  @ApiProperty({ type: 'integer' }) index!: number;
  @ApiProperty({ description: "The entry's canonical bytes, base64 (the leaf data)" }) entry!: string;
  @ApiProperty(PROOF) proof!: string[];
  @ApiProperty({
    description:
      'The same inclusion proof as a C2SP tlog-proof@v1 text (extra: the entry bytes; then the checkpoint)',
  })
  tlogProof!: string;
}

export class CertificateMapProofView implements CertificateMapProof {
  @ApiProperty({ type: 'integer', description: "Log index of the token's latest entry as of the checkpoint" })
  index!: number;
  @ApiProperty({
    type: [String],
    description:
      "Token-map siblings, top-down (base64 hashes), against the checkpoint's heirloom-token-map root",
  })
  siblings!: string[];
}

export class CertificateQuorumView implements CertificateQuorum {
  @ApiProperty({ description: "Name of the operator's key (the log origin)" }) operatorKey!: string;
  @ApiProperty({ type: [String], description: 'Names of the allow-listed witnesses' }) witnesses!: string[];
  @ApiProperty({ type: 'integer', description: 'Witness co-signatures needed' }) required!: number;
}

export class CertificateView implements OwnershipCertificate {
  @ApiProperty({ enum: [CERTIFICATE_FORMAT] }) format!: typeof CERTIFICATE_FORMAT;
  @ApiProperty({ description: 'The log origin' }) origin!: string;
  @ApiProperty({ description: 'Token id' }) token!: string;
  @ApiProperty({ type: [CertificateEntryView], description: "The token's whole history, mint first" })
  entries!: CertificateEntryView[];
  @ApiProperty({
    type: () => CertificateMapProofView,
    description: 'Proof that the newest entry is the token\u2019s latest as of the checkpoint',
  })
  map!: CertificateMapProofView;
  @ApiProperty({ description: 'The co-signed checkpoint note, verbatim' }) checkpoint!: string;
  @ApiProperty({ type: [String], description: 'Verifier keys of the operator and the witnesses' })
  verifierKeys!: string[];
  @ApiProperty({ type: () => CertificateQuorumView }) quorum!: CertificateQuorumView;
}

export class CosignatureView implements CosignatureOutcome {
  @ApiProperty({ type: 'integer', description: 'Size of the checkpoint' }) size!: number;
  @ApiProperty({ type: 'integer', description: 'Witnesses that have co-signed it so far' })
  witnesses!: number;
  @ApiProperty({ description: 'true once it has the quorum of co-signatures' }) final!: boolean;
}
