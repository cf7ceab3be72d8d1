import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, Public, Roles } from '#identity';
import { PolicyView, SetPoliciesDto } from './policies.dto.js';
import { PolicyService } from './policies.js';

@ApiTags('policies')
@Controller()
export class PoliciesController {
  constructor(private readonly policies: PolicyService) {}

  @Get('policies')
  @Public()
  @ApiOperation({
    summary: 'The platform’s policies',
    description:
      'Platform fee, default hold period and whether real-name verification is required of everyone.',
  })
  @ApiOkResponse({ type: PolicyView })
  current() {
    return this.policies.current();
  }

  @Put('operator/policies')
  @ApiBearerAuth()
  @Roles('operator')
  @ApiOperation({
    summary: 'Set the platform’s policies',
    description:
      'Fields left out keep their value. Applies at once on every process: the fee to sales settled from ' +
      'now on (a refund reverses a sale as it was booked), the hold period to collections created from now ' +
      'on, real-name verification to every checkout and gift. Recorded with its reason in the operator trail.',
  })
  @ApiOkResponse({ type: PolicyView })
  set(@CurrentPrincipal() principal: Principal, @Body() body: SetPoliciesDto) {
    const { reason, ...change } = body;
    return this.policies.set(principal.accountId, change, reason);
  }
}
