import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { ApiProblems } from '#http';
import { Public } from '#identity';
import { databaseUnavailable } from './database-unavailable.js';
import { HealthView, ReadyView } from './health.dto.js';
import { ReadinessChecks } from './readiness.js';

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly checks: ReadinessChecks,
  ) {}

  /** Liveness: the process answers. */
  @Get('health')
  @ApiOperation({ summary: 'Check that the service is alive', description: 'For liveness probes.' })
  @ApiOkResponse({ type: HealthView })
  health(): HealthView {
    return { status: 'ok' };
  }

  /** Readiness: the database answers too; other modules' checks are reported beside it. */
  @Get('ready')
  @ApiOperation({
    summary: 'Check that the service can serve requests',
    description:
      'For readiness probes: 503 while the database does not answer. `checks` reports what needs an ' +
      'operator without stopping service, e.g. a witness refusing our checkpoints.',
  })
  @ApiOkResponse({ type: ReadyView })
  @ApiProblems({ 503: ['database-unavailable'] })
  async ready(): Promise<ReadyView> {
    try {
      await this.dataSource.query('SELECT 1');
    } catch {
      throw databaseUnavailable();
    }
    return { status: 'ready', database: 'ok', checks: await this.checks.run() };
  }
}
