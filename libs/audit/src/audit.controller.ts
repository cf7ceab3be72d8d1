import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Roles } from '#identity';
import { AuditRunner } from './audit-runner.js';

@ApiTags('operator')
@ApiBearerAuth()
@Roles('operator', 'auditor')
@Controller('operator/audit')
export class AuditController {
  constructor(private readonly audit: AuditRunner) {}

  /** Replays the whole ledger and diffs it against the ownership tables. */
  @Post('replay')
  @HttpCode(200)
  replay() {
    return this.audit.run();
  }
}
