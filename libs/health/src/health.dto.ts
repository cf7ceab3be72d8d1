import { ApiProperty } from '@nestjs/swagger';

export class HealthView {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
}

export class ReadinessCheckView {
  @ApiProperty({ example: 'witnesses' }) name!: string;
  @ApiProperty({ enum: ['ok', 'failing'] }) status!: 'ok' | 'failing';
  @ApiProperty({ description: 'What the check found, for an operator' }) detail!: string;
}

export class ReadyView {
  @ApiProperty({ enum: ['ready'] }) status!: 'ready';
  @ApiProperty({ enum: ['ok'] }) database!: 'ok';
  @ApiProperty({
    type: [ReadinessCheckView],
    description:
      'Other checks, e.g. `witnesses` (failing while a witness refuses our checkpoints). A failing ' +
      'one needs an operator but does not make the service unready.',
  })
  checks!: ReadinessCheckView[];
}
