// Webhooks for integrators: the only lib that writes `webhook_*` tables. Other libs report what
// happened, in the transaction that made it happen, through `emitEvents`.
export { WebhooksModule } from './webhooks.module.js';
export { WebhookDispatcher, eventPayload, nextAttemptAt } from './dispatcher.js';
export { addressKind, endpointUrlRefusal } from './endpoint-url.js';
export {
  WEBHOOK_EVENT_TYPES,
  emitEvent,
  emitEvents,
  forgetWebhooks,
  newEventId,
  type WebhookEventData,
  type WebhookEventDraft,
  type WebhookEventType,
} from './events.js';
export { WebhookSender, type AttemptResult, type Delivery } from './sender.js';
