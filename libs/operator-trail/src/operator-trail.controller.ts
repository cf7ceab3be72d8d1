import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '#identity';
import { OperatorActionsPageView, OperatorActionsQuery } from './operator-trail.dto.js';
import { OperatorTrail } from './operator-trail.js';

@ApiTags('operator')
@ApiBearerAuth()
@Roles('operator', 'auditor')
@Controller('operator/actions')
export class OperatorTrailController {
  constructor(private readonly trail: OperatorTrail) {}

  @Get()
  @ApiOperation({
    summary: 'The operator action trail',
    description:
      'Every operator act on tokens, accounts and orders: who, what, when and why, newest first. ' +
      'Append-only: the database refuses to change or delete a recorded action.',
  })
  @ApiOkResponse({ type: OperatorActionsPageView })
  list(@Query() query: OperatorActionsQuery) {
    return this.trail.list(query);
  }
}
