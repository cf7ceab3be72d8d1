import { Global, Module } from '@nestjs/common';
import { PoliciesController } from './policies.controller.js';
import { PolicyService } from './policies.js';

/** Platform policies set at run time (table `platform_policies`); any lib reads them via PolicyService. */
@Global()
@Module({
  controllers: [PoliciesController],
  providers: [PolicyService],
  exports: [PolicyService],
})
export class PoliciesModule {}
