import { Module } from '@nestjs/common';
import { WebhookDispatcher } from './dispatcher.js';
import { WebhookEndpointsService } from './endpoints.service.js';
import { WebhooksController } from './webhooks.controller.js';

/**
 * Webhooks for integrators (tables `webhook_endpoints`, `webhook_events`, `webhook_deliveries`,
 * `webhook_attempts`): accounts register endpoints, libs emit events with `emitEvents` in their
 * transactions, and every API process delivers the due ones.
 */
@Module({
  controllers: [WebhooksController],
  providers: [WebhookEndpointsService, WebhookDispatcher],
  exports: [WebhookDispatcher],
})
export class WebhooksModule {}
