import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '#identity';
import { AuditRunner } from './audit-runner.js';
import { AuditReportView } from './audit.dto.js';

@ApiTags('operator')
@ApiBearerAuth()
@Roles('operator', 'auditor')
@Controller('operator/audit')
export class AuditController {
  constructor(private readonly audit: AuditRunner) {}

  /** Replays the whole ledger and diffs it against the ownership tables. */
  @Post('replay')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Replay the ledger and diff it against the ownership tables',
    description:
      'Recomputes the tree from the entries, checks every signed checkpoint and the stored root, ' +
      'replays every token and compares owners and statuses, all in one snapshot. Read-only; takes ' +
      'a while on a large ledger. Problems found are listed in `mismatches`, not answered as errors.',
  })
  @ApiOkResponse({ type: AuditReportView })
  replay() {
    return this.audit.run();
  }
}
