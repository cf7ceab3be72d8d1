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

export const MAX_ROYALTY_BPS = 2500;
export const MAX_EDITIONS_PER_REQUEST = 10_000;

export class CollectionPolicyDto {
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
