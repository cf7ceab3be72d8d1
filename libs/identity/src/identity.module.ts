import { Module, OnModuleInit } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { PeriodicJobs } from '#database';
import { AuthGuard } from './auth.guard.js';
import { AuthController, MeController, OperatorAccountsController } from './identity.controller.js';
import { IdentityService } from './identity.service.js';
import { Passwords } from './passwords.js';
import { ReadFenceInterceptor } from './read-fence.interceptor.js';
import { RateLimiter } from './rate-limiter.js';
import { IDENTITY_VERIFIER, SandboxIdentityVerifier } from './real-name.js';

@Module({
  controllers: [AuthController, MeController, OperatorAccountsController],
  providers: [
    IdentityService,
    Passwords,
    RateLimiter,
    { provide: IDENTITY_VERIFIER, useClass: SandboxIdentityVerifier },
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_INTERCEPTOR, useClass: ReadFenceInterceptor },
  ],
  exports: [IdentityService],
})
export class IdentityModule implements OnModuleInit {
  constructor(
    private readonly jobs: PeriodicJobs,
    private readonly rateLimiter: RateLimiter,
  ) {}

  onModuleInit(): void {
    this.jobs.register('rate-limit-prune', 10 * 60_000, () => this.rateLimiter.prune());
  }
}
