import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { PageLimit, TimeIdCursor } from '#http';
import {
  APPEAL_DECISIONS,
  APPEAL_STATUSES,
  type AppealDecision,
  type AppealsService,
  type AppealStatus,
} from './appeals.service.js';
import { ReasonDto } from './custody.dto.js';

type AppealShape = Awaited<ReturnType<AppealsService['appeal']>>;

export class AppealDto {
  @ApiProperty({
    description: 'Why the freeze should be lifted, for the operator who decides',
    example: 'I bought it from the creator’s own drop; here is my receipt.',
  })
  @IsString()
  @Matches(/\S/, { message: 'message must not be blank' })
  @MaxLength(2000)
  message!: string;
}

export class DecideAppealDto extends ReasonDto {
  @ApiProperty({
    enum: APPEAL_DECISIONS,
    description: '`lift` unfreezes the token; `uphold` keeps it frozen',
  })
  @IsIn(APPEAL_DECISIONS)
  decision!: AppealDecision;
}

export class AppealIdParam {
  @ApiProperty({ format: 'uuid' }) @IsUUID() id!: string;
}

export class MyAppealsQuery {
  @PageLimit(100, 50)
  limit?: number;

  @TimeIdCursor()
  cursor?: string;
}

export class AppealsQuery extends MyAppealsQuery {
  @ApiPropertyOptional({ enum: APPEAL_STATUSES, default: 'open' })
  @IsOptional()
  @IsIn(APPEAL_STATUSES)
  status?: AppealStatus;
}

export class AppealView implements AppealShape {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() tokenId!: string;
  @ApiProperty({ example: 'ada' }) ownerHandle!: string;
  @ApiProperty() message!: string;
  @ApiProperty({ enum: APPEAL_STATUSES }) status!: AppealStatus;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) decidedAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) decisionReason!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The decision’s entry in the operator trail (and, when lifted, the ledger `unfreeze` ref)',
  })
  decisionRef!: string | null;
}

export class AppealsPageView {
  @ApiProperty({ type: [AppealView] }) items!: AppealView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page' })
  nextCursor!: string | null;
}
