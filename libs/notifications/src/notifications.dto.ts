import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsOptional, Matches } from 'class-validator';
import { PageLimit } from '#http';
import {
  NOTIFICATION_KINDS,
  NOTIFICATION_SUBJECT_KINDS,
  type NotificationData,
  type NotificationsService,
} from './notifications.js';

const ID = /^[0-9]{1,18}$/;

type NotificationShape = Awaited<ReturnType<NotificationsService['list']>>['items'][number];

export class NotificationsQuery {
  @ApiPropertyOptional({ description: 'Only notices not read yet' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  unread?: boolean;

  @PageLimit(100, 20)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page, unchanged' })
  @IsOptional()
  @Matches(ID, { message: 'cursor must be a nextCursor returned by this listing' })
  cursor?: string;
}

export class MarkReadDto {
  @ApiPropertyOptional({ type: [String], maxItems: 100, description: 'Ids of the notices to mark read' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(ID, { each: true, message: 'each id must be a notification id' })
  ids?: string[];

  @ApiPropertyOptional({ description: 'Mark every notice read' })
  @IsOptional()
  @IsBoolean()
  all?: boolean;
}

export class NotificationView implements NotificationShape {
  @ApiProperty({ example: '42' }) id!: string;
  @ApiProperty({ enum: NOTIFICATION_KINDS }) kind!: (typeof NOTIFICATION_KINDS)[number];
  @ApiProperty({ enum: NOTIFICATION_SUBJECT_KINDS })
  subjectKind!: (typeof NOTIFICATION_SUBJECT_KINDS)[number];
  @ApiProperty({ description: 'The token, order, drop or appeal id the notice is about' }) subjectId!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'What the notice says, by kind: ids for links, amounts in minor units with currency, handles, reasons',
  })
  data!: NotificationData;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) readAt!: string | null;
}

export class NotificationsPageView {
  @ApiProperty({ type: [NotificationView] }) items!: NotificationView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page' })
  nextCursor!: string | null;
  @ApiProperty({ description: 'How many notices are unread in all' }) unread!: number;
}

export class MarkedReadView {
  @ApiProperty({ description: 'How many notices were unread and are read now' }) marked!: number;
}
