import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import type { CollectionView as CollectionShape } from './collection.service.js';
import type { MintResult } from './mint.service.js';

export const MAX_ROYALTY_BPS = 2500;
export const MAX_EDITIONS_PER_REQUEST = 10_000;

export class CollectionPolicyDto {
  @ApiPropertyOptional({
    default: true,
    description: 'Owners may give tokens to other accounts (after the hold period)',
  })
  @IsOptional()
  @IsBoolean()
  giftsAllowed?: boolean;
  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() resaleAllowed?: boolean;
  @ApiPropertyOptional({ default: 0, description: 'Days a buyer must hold before resale or gift' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(3650)
  holdDays?: number;
  @ApiPropertyOptional({ default: false }) @IsOptional() @IsBoolean() realNameRequired?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(1_000_000) perBuyerLimit?: number;
}

export class CreateCollectionDto {
  @ApiProperty() @IsString() @Length(1, 200) name!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(5000) description?: string;
  @ApiProperty({ description: `Creator royalty in basis points, at most ${MAX_ROYALTY_BPS}` })
  @IsInt()
  @Min(0)
  @Max(MAX_ROYALTY_BPS)
  royaltyBps!: number;
  @ApiPropertyOptional({ description: 'Most tokens this collection may ever hold' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  supplyCap?: number;
  @ApiPropertyOptional({ type: CollectionPolicyDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => CollectionPolicyDto)
  policy?: CollectionPolicyDto;
}

export class MintItemDto {
  @ApiProperty({
    description: 'NFT metadata: name, description, image (ipfs://CID of uploaded media), attributes',
  })
  @IsObject()
  metadata!: Record<string, unknown>;
  @ApiPropertyOptional({ default: 1, description: 'Numbered editions "n of N"; 1 for a 1-of-1' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_EDITIONS_PER_REQUEST)
  editions?: number;
}

export class MintDto {
  @ApiProperty({ description: 'Client-chosen key: the same key mints once' })
  @Matches(/^[A-Za-z0-9._:-]{8,100}$/)
  idempotencyKey!: string;
  @ApiProperty({ type: [MintItemDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_EDITIONS_PER_REQUEST)
  @ValidateNested({ each: true })
  @Type(() => MintItemDto)
  items!: MintItemDto[];
}

/** Views implement what the services answer, so they cannot drift from it. */
type CollectionPolicyShape = CollectionShape['policy'];

export class CollectionPolicyView implements CollectionPolicyShape {
  @ApiProperty({ description: 'Owners may give tokens to other accounts' }) giftsAllowed!: boolean;
  @ApiProperty() resaleAllowed!: boolean;
  @ApiProperty({ type: 'integer', description: 'Days a buyer must hold before resale or gift' })
  holdDays!: number;
  @ApiProperty({ description: 'Buyers must have passed real-name verification' }) realNameRequired!: boolean;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'Most tokens one buyer may hold; null: no limit',
  })
  perBuyerLimit!: number | null;
}

export class CollectionView implements CollectionShape {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) creatorId!: string;
  @ApiProperty() creatorHandle!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'Empty when none was given' }) description!: string;
  @ApiProperty({ type: 'integer', description: 'Creator royalty in basis points' }) royaltyBps!: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'null: no cap' }) supplyCap!: number | null;
  @ApiProperty({ type: 'integer', description: 'Tokens minted so far' }) minted!: number;
  @ApiProperty({ type: () => CollectionPolicyView }) policy!: CollectionPolicyView;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class MintResultView implements MintResult {
  @ApiProperty({ format: 'uuid' }) collectionId!: string;
  @ApiProperty({ type: [String], description: 'One id per token, editions of an item in order' })
  tokenIds!: string[];
  @ApiProperty({ description: 'false: this idempotency key had minted these tokens already' })
  created!: boolean;
}
