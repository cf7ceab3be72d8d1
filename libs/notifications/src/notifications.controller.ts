import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, FrozenMayCall, type Principal } from '#identity';
import {
  MarkedReadView,
  MarkReadDto,
  NotificationsPageView,
  NotificationsQuery,
} from './notifications.dto.js';
import { NotificationsService } from './notifications.js';

@ApiTags('notifications')
@ApiBearerAuth()
@Controller('me/notifications')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get()
  @ApiOperation({
    summary: 'Your notifications',
    description:
      'Lottery wins, sales of your tokens, gifts you received, freezes, unfreezes and burns of your tokens ' +
      'and decisions on your appeals; newest first, with how many are unread. Keyset pages: pass ' +
      '`nextCursor` back as `cursor`.',
  })
  @ApiOkResponse({ type: NotificationsPageView })
  list(@CurrentPrincipal() principal: Principal, @Query() query: NotificationsQuery) {
    return this.notifications.list(principal.accountId, query);
  }

  @Post('read')
  @HttpCode(200)
  // Reading one's notices changes nothing anyone else sees, so a frozen account may still do it.
  @FrozenMayCall()
  @ApiOperation({
    summary: 'Mark notifications read',
    description: 'The notices with the given `ids`, or all of them with `all: true`.',
  })
  @ApiOkResponse({ type: MarkedReadView })
  markRead(@CurrentPrincipal() principal: Principal, @Body() body: MarkReadDto) {
    return this.notifications.markRead(principal.accountId, body);
  }
}
