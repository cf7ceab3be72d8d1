import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { PageLimit } from '#http';
import { OPERATOR_ACTIONS, OPERATOR_SUBJECT_KINDS, type OperatorTrail } from './operator-trail.js';

type OperatorActionShape = Awaited<ReturnType<OperatorTrail['list']>>['items'][number];

export class OperatorActionsQuery {
  @ApiPropertyOptional({ enum: OPERATOR_ACTIONS }) @IsOptional() @IsIn(OPERATOR_ACTIONS) action?: string;

  @ApiPropertyOptional({ description: 'Only actions on this token, account or order id' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, { message: 'subject must be a token, account or order id' })
  subject?: string;

  @PageLimit(100, 50)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page, unchanged' })
  @IsOptional()
  @Matches(/^[0-9]{1,18}$/, { message: 'cursor must be a nextCursor returned by this listing' })
  cursor?: string;
}

export class OperatorActionView implements OperatorActionShape {
  @ApiProperty({ example: 'act_42' }) ref!: string;
  @ApiProperty({ format: 'uuid' }) actorId!: string;
  @ApiProperty({ example: 'ops_li' }) actorHandle!: string;
  @ApiProperty({ enum: OPERATOR_ACTIONS }) action!: string;
  @ApiProperty({ enum: OPERATOR_SUBJECT_KINDS }) subjectKind!: string;
  @ApiProperty() subjectId!: string;
  @ApiProperty() reason!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class OperatorActionsPageView {
  @ApiProperty({ type: [OperatorActionView] }) items!: OperatorActionView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page' })
  nextCursor!: string | null;
}
