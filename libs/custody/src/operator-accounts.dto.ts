import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { PageLimit, TimeIdCursor } from '#http';
import { AccountView, CREATOR_STATUSES, ROLES, type Role } from '#identity';
import { OperatorActionView } from '#operator-trail';
import { HoldingView, MAX_PAGE_SIZE } from './custody.dto.js';
import type { OperatorAccountsService } from './operator-accounts.service.js';

type Answer<T extends (...args: never[]) => unknown> = Awaited<ReturnType<T>>;

export class AccountIdParam {
  @ApiProperty({ format: 'uuid' }) @IsUUID() id!: string;
}

export class ApplicantParam {
  @ApiProperty({ format: 'uuid', description: 'The applicant’s account id' }) @IsUUID() accountId!: string;
}

export class CreatorApplicationsQuery {
  @PageLimit(MAX_PAGE_SIZE, 50)
  limit?: number;

  @TimeIdCursor()
  cursor?: string;
}

export class AccountSearchQuery {
  @ApiProperty({
    minLength: 2,
    maxLength: 254,
    description: 'An email (exact, any case) when it contains `@`, else the start of a handle',
    example: 'ada',
  })
  @IsString()
  @Length(2, 254)
  @Matches(/^[^\p{Cc}]*$/u, { message: 'q must not contain control characters' })
  q!: string;

  @PageLimit(MAX_PAGE_SIZE, 50)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page, unchanged' })
  @IsOptional()
  @Matches(/^[a-z0-9_-]{1,30}$/, { message: 'cursor must be a nextCursor returned by this listing' })
  cursor?: string;
}

type ApplicationShape = Answer<OperatorAccountsService['creatorApplications']>['items'][number];
type AccountActionShape = Answer<OperatorAccountsService['setFrozen']>;
type AccountSummaryShape = Answer<OperatorAccountsService['search']>['items'][number];
type AccountPageShape = Answer<OperatorAccountsService['accountPage']>;

export class CreatorApplicationView implements ApplicationShape {
  @ApiProperty({ format: 'uuid' }) accountId!: string;
  @ApiProperty({ example: 'ada' }) handle!: string;
  @ApiProperty({ format: 'date-time' }) appliedAt!: string;
  @ApiProperty({ description: 'Passed real-name verification' }) realNameVerified!: boolean;
}

export class CreatorApplicationsPageView {
  @ApiProperty({ type: [CreatorApplicationView] }) items!: CreatorApplicationView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page' })
  nextCursor!: string | null;
}

export class AccountActionView extends AccountView implements AccountActionShape {
  @ApiProperty({ description: 'The operator action’s ref in the trail', example: 'act_42' })
  actionRef!: string;
}

export class AccountSummaryView implements AccountSummaryShape {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'ada' }) handle!: string;
  @ApiProperty({ example: 'ada@example.com' }) email!: string;
  @ApiProperty({ enum: ROLES, isArray: true, example: ['collector'] }) roles!: Role[];
  @ApiProperty({ enum: CREATOR_STATUSES }) creatorStatus!: AccountSummaryShape['creatorStatus'];
  @ApiProperty() frozen!: boolean;
}

export class AccountSearchPageView {
  @ApiProperty({ type: [AccountSummaryView] }) items!: AccountSummaryView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page' })
  nextCursor!: string | null;
}

export class AccountPageView extends AccountView implements AccountPageShape {
  @ApiProperty({ description: 'Passed real-name verification (the name and ID number are never shown)' })
  realNameVerified!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) frozenAt!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why it was frozen (from the trail)' })
  frozenReason!: string | null;
  @ApiProperty({ type: 'integer', description: 'Tokens held (not burned)' }) holdingsCount!: number;
  @ApiProperty({ type: [HoldingView], description: 'The 20 newest holdings' }) holdings!: HoldingView[];
  @ApiProperty({
    type: [OperatorActionView],
    description: 'The 20 newest operator actions on this account (GET /operator/actions?subject= for more)',
  })
  actions!: OperatorActionView[];
}
