import { ApiProperty } from '@nestjs/swagger';
import type { VerifyOutcome } from './content-store.js';
import type * as service from './media.service.js';

/** What a MediaService method answers (one item, for lists): views implement it, so they cannot drift. */
type Answer<
  K extends keyof service.MediaService,
  Item = Awaited<ReturnType<service.MediaService[K]>>,
> = Item extends readonly (infer One)[] ? One : Item;

const FAILED_OUTCOMES: VerifyOutcome[] = ['missing', 'corrupt'];

export class MediaView implements service.MediaView {
  @ApiProperty({ example: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku' }) cid!: string;
  @ApiProperty({
    example: 'ipfs://bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku',
    description: 'Use as `image` or `animation_url` in token metadata',
  })
  uri!: string;
  @ApiProperty({ description: 'Where the platform serves the bytes' }) url!: string;
  @ApiProperty({ example: 'image/png', description: 'The type recognised from the bytes' }) mime!: string;
  @ApiProperty({ type: 'integer', description: 'Bytes' }) size!: number;
}

export class IntegrityFailureView implements Answer<'failures'> {
  @ApiProperty() cid!: string;
  @ApiProperty({ enum: FAILED_OUTCOMES }) integrity!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) checkedAt!: string | null;
}

export class FailedCheckView {
  @ApiProperty() cid!: string;
  @ApiProperty({ enum: FAILED_OUTCOMES }) outcome!: string;
}

export class IntegrityCheckView implements Answer<'checkIntegrity'> {
  @ApiProperty({ type: 'integer', description: 'Media items re-hashed' }) checked!: number;
  @ApiProperty({ type: [FailedCheckView] }) failed!: FailedCheckView[];
}
