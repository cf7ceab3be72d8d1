import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { AuditReport, Mismatch } from '#ledger';

const MISMATCH_KINDS: Mismatch['kind'][] = [
  'ledger-row-tampered',
  'ledger-gap',
  'checkpoint-mismatch',
  'checkpoint-signature',
  'root-mismatch',
  'illegal-history',
  'ownership-mismatch',
  'missing-from-log',
  'missing-from-database',
];

/** One disagreement the audit found; views implement the ledger's types, so they cannot drift. */
export class MismatchView implements Mismatch {
  @ApiProperty({ enum: MISMATCH_KINDS }) kind!: Mismatch['kind'];
  @ApiProperty() detail!: string;
  @ApiPropertyOptional({ type: 'integer', description: 'Log index of the entry concerned' }) index?: number;
  @ApiPropertyOptional({ description: 'Token concerned' }) tokenId?: string;
}

export class AuditReportView implements AuditReport {
  @ApiProperty({ description: 'true when nothing disagrees' }) ok!: boolean;
  @ApiProperty({ type: 'integer', description: 'Entries in the recomputed tree' }) entries!: number;
  @ApiProperty({
    type: 'integer',
    description: 'Committed entries not yet sequenced into the tree (replayed too)',
  })
  queued!: number;
  @ApiProperty({ type: 'integer' }) checkpointsChecked!: number;
  @ApiProperty({ type: 'integer', description: 'Tokens in the ownership tables' }) tokens!: number;
  @ApiProperty({ description: 'Root hash of the recomputed tree, hex' }) root!: string;
  @ApiProperty({ type: [MismatchView] }) mismatches!: MismatchView[];
  @ApiProperty({ type: 'integer' }) durationMs!: number;
}
