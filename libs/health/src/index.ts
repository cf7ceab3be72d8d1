import { Global, Module } from '@nestjs/common';
import { HealthController } from './health.controller.js';
import { ReadinessChecks } from './readiness.js';

export { databaseUnavailableAsProblem } from './database-unavailable.js';
export { ReadinessChecks, type ReadinessCheck, type ReadinessResult } from './readiness.js';

/** Liveness and readiness; other modules add readiness checks through ReadinessChecks. */
@Global()
@Module({ controllers: [HealthController], providers: [ReadinessChecks], exports: [ReadinessChecks] })
export class HealthModule {}
