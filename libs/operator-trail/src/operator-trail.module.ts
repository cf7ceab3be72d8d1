import { Module } from '@nestjs/common';
import { OperatorTrailController } from './operator-trail.controller.js';
import { OperatorTrail } from './operator-trail.js';

/** The operator action trail (table `operator_actions`), read by operators and auditors. */
@Module({
  controllers: [OperatorTrailController],
  providers: [OperatorTrail],
  exports: [OperatorTrail],
})
export class OperatorTrailModule {}
