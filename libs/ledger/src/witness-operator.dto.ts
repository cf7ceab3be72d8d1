import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, IsUrl, Max, MaxLength, Min, MinLength } from 'class-validator';
import type { PushOutcome } from './witness-pusher.js';
import type { WitnessChange, WitnessStatus } from './witness-registry.js';

export class AllowWitnessDto {
  @ApiProperty({
    description:
      "The witness's cosignature/v1 verifier key (`name+keyID+base64(0x04‖key)`), or its plain Ed25519 " +
      'note key (type 0x01), taken as the same key pair',
  })
  @IsString()
  @MaxLength(1000)
  verifierKey!: string;

  @ApiPropertyOptional({
    description:
      'Its C2SP tlog-witness submission prefix (checkpoints are pushed to `<url>/add-checkpoint`). ' +
      'Without one it is not pushed to, but its cosignatures posted to the log still count.',
    example: 'https://witness.example.org/heirloom',
  })
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  @MaxLength(2000)
  url?: string;

  @ApiProperty({
    description: 'Why: recorded with who and when',
    example: 'Agreement with the auditor, ref. 2025-14',
  })
  @IsString()
  @MinLength(3)
  @MaxLength(1000)
  reason!: string;
}

export class RetireWitnessDto {
  @ApiProperty({ description: "The witness's key name", example: 'witness.example.org/heirloom' })
  @IsString()
  @MaxLength(1000)
  name!: string;

  @ApiProperty({ description: 'Why: recorded with who and when' })
  @IsString()
  @MinLength(3)
  @MaxLength(1000)
  reason!: string;
}

export class SetQuorumDto {
  @ApiProperty({ description: 'Witness cosignatures that make a checkpoint final', minimum: 0 })
  @IsInt()
  @Min(0)
  @Max(100)
  quorum!: number;

  @ApiProperty({ description: 'Why: recorded with who and when' })
  @IsString()
  @MinLength(3)
  @MaxLength(1000)
  reason!: string;
}

export class WitnessSuccessView {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ description: 'The checkpoint size it co-signed' }) size!: number;
}

export class WitnessRefusalView {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({
    description: 'Its HTTP answer: 409 fork or smaller tree, 422 bad proof, 403/404 unknown log or key',
  })
  httpStatus!: number;
  @ApiProperty({ description: 'Why, as it said it (or as we understood its answer)' }) reason!: string;
  @ApiProperty({ description: 'The checkpoint size it refused' }) size!: number;
}

export class WitnessErrorView {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ description: 'Unreachable, timed out, 5xx, or an answer without a valid cosignature' })
  reason!: string;
}

export class WitnessView implements WitnessStatus {
  @ApiProperty({ example: 'witness.example.org/heirloom' }) name!: string;
  @ApiProperty({ description: 'cosignature/v1 verifier key (type 0x04)' }) verifierKey!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Submission prefix; null: not pushed to' })
  url!: string | null;
  @ApiProperty({ description: 'false once retired' }) active!: boolean;
  @ApiProperty({ description: "The operator's account id, or LEDGER_WITNESS_KEYS (seeded at start-up)" })
  allowedBy!: string;
  @ApiProperty({ format: 'date-time' }) allowedAt!: string;
  @ApiProperty() allowedReason!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) retiredAt!: string | null;
  @ApiProperty({ type: WitnessSuccessView, nullable: true }) lastSuccess!: WitnessSuccessView | null;
  @ApiProperty({ type: WitnessRefusalView, nullable: true }) lastRefusal!: WitnessRefusalView | null;
  @ApiProperty({ type: WitnessErrorView, nullable: true }) lastError!: WitnessErrorView | null;
  @ApiProperty({ description: 'Entries of our newest checkpoint beyond the one it last co-signed' })
  lagEntries!: number;
  @ApiProperty({ description: 'It refused a checkpoint and has not co-signed since: look now' })
  refusing!: boolean;
}

export class WitnessesView {
  @ApiProperty({ description: 'Cosignatures of active witnesses that make a checkpoint final' })
  quorum!: number;
  @ApiProperty({ type: [WitnessView] }) witnesses!: WitnessView[];
}

export class WitnessChangeView implements WitnessChange {
  @ApiProperty({ enum: ['allow', 'retire', 'quorum'] }) action!: 'allow' | 'retire' | 'quorum';
  @ApiProperty({ type: String, nullable: true }) witness!: string | null;
  @ApiProperty({ type: Object, description: 'The key and URL allowed, or the quorum set' })
  detail!: Record<string, unknown>;
  @ApiProperty({ description: "The operator's account id, or LEDGER_WITNESS_KEYS" }) actor!: string;
  @ApiProperty() reason!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class PushOutcomeView {
  @ApiProperty() witness!: string;
  @ApiProperty({ enum: ['cosigned', 'already-cosigned', 'refused', 'failed'] })
  status!: PushOutcome['status'];
  @ApiProperty({ description: 'The checkpoint size pushed' }) size!: number;
  @ApiPropertyOptional({ description: 'cosigned: whether the checkpoint is now final' }) final?: boolean;
  @ApiPropertyOptional({ description: "refused: the witness's HTTP status" }) httpStatus?: number;
  @ApiPropertyOptional({ description: 'refused or failed: why' }) reason?: string;
}
