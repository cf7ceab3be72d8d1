import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import type { PolicyService } from './policies.js';

type PolicyShape = Awaited<ReturnType<PolicyService['current']>>;

export class SetPoliciesDto {
  @ApiPropertyOptional({
    minimum: 0,
    maximum: 5000,
    description: 'The platform fee, in basis points of the price',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(5000)
  platformFeeBps?: number;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 3650,
    description: 'Hold period (days) of new collections whose creator sets none',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(3650)
  defaultHoldDays?: number;

  @ApiPropertyOptional({
    description: 'Require real-name verification of every buyer and both sides of every gift',
  })
  @IsOptional()
  @IsBoolean()
  realNameRequired?: boolean;

  @ApiProperty({ description: 'Why: kept in the operator action trail that auditors read' })
  @IsString()
  @Matches(/\S/, { message: 'reason must not be blank' })
  @MaxLength(2000)
  reason!: string;
}

export class PolicyView implements PolicyShape {
  @ApiProperty({ example: 500 }) platformFeeBps!: number;
  @ApiProperty({ example: 0 }) defaultHoldDays!: number;
  @ApiProperty() realNameRequired!: boolean;
  @ApiProperty({ description: 'Increases with each change; 0 = the start-up settings, never changed' })
  version!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) setAt!: string | null;
}
