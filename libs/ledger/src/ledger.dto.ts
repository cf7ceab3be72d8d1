import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBooleanString, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

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
