import { Controller, Get, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { Roles } from '#identity';
import { IntegrityAlerts, type RecordedIntegrityAlert } from './integrity-alerts.js';

export class IntegrityAlertsQuery {
  @ApiPropertyOptional({ description: 'Only alerts of this kind', example: 'ledger-mismatch' })
  @IsOptional()
  @Matches(/^[a-z][a-z0-9-]{0,63}$/)
  kind?: string;
}

/** One integrity alert; repeats of the same kind and subject are counted on it. */
export class IntegrityAlertView implements RecordedIntegrityAlert {
  @ApiProperty({
    description:
      'What went wrong, as a stable code (e.g. `ledger-mismatch`: a token row disagrees with the ledger)',
    example: 'ledger-mismatch',
  })
  kind!: string;
  @ApiProperty({ description: 'What it is about: a token id, a witness…', example: 'col_1-0007' })
  subject!: string;
  @ApiProperty({ description: 'What was found, the latest time it was seen' })
  detail!: string;
  @ApiProperty({ description: 'How many times it was seen' }) count!: number;
  @ApiProperty({ format: 'date-time' }) firstSeenAt!: string;
  @ApiProperty({ format: 'date-time' }) lastSeenAt!: string;
}

@ApiTags('operator')
@ApiBearerAuth()
@Roles('operator', 'auditor')
@Controller('operator/ledger/alerts')
export class IntegrityAlertsController {
  constructor(private readonly alerts: IntegrityAlerts) {}

  @Get()
  @ApiOperation({
    summary: 'List ledger integrity alerts',
    description:
      'Things the ledger refused or found wrong, that someone must look into: e.g. `ledger-mismatch`, ' +
      "an ownership change or listing refused because the token's stored owner, status or sequence " +
      'differs from what its ledger history says (the row was changed outside the platform). Each ' +
      'is also logged as an error. Most recently seen first, at most 1000.',
  })
  @ApiOkResponse({ type: [IntegrityAlertView] })
  list(@Query() query: IntegrityAlertsQuery): Promise<IntegrityAlertView[]> {
    return this.alerts.list(query.kind);
  }
}
