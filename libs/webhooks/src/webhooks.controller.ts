import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblems } from '#http';
import { CurrentPrincipal, type Principal } from '#identity';
import { WebhookEndpointsService } from './endpoints.service.js';
import {
  CreateWebhookEndpointDto,
  UpdateWebhookEndpointDto,
  WebhookDeliveriesPageView,
  WebhookDeliveriesQuery,
  WebhookDeliveryView,
  WebhookEndpointsView,
  WebhookEndpointView,
  WebhookEndpointWithSecretView,
} from './webhooks.dto.js';

const EVENTS_SEEN =
  'An endpoint receives the events that concern its account: `order.paid` and `order.refunded` as ' +
  'buyer, seller or creator of the token; `token.transferred` as giver or receiver (sale, gift, ' +
  'reverted sale); `token.frozen` as owner; `drop.drawn` as the drop’s creator or an entrant; ' +
  '`payout.paid` as the payee.';

@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('me/webhooks')
export class WebhooksController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  @Post()
  @ApiOperation({
    summary: 'Register a webhook endpoint',
    description:
      `${EVENTS_SEEN} Deliveries are POSTs signed per the Standard Webhooks spec (\`webhook-id\` = the ` +
      'event id, `webhook-timestamp`, `webhook-signature`) with the `secret` answered here, and only ' +
      'here. A delivery not answered with a 2xx within a few seconds is retried with backoff for about ' +
      '3 days; the same event keeps its id, so deduplicate on `webhook-id`. Retrying with the same ' +
      '`idempotencyKey` answers the same endpoint; the same key with another URL or event types is 409.',
  })
  @ApiCreatedResponse({ type: WebhookEndpointWithSecretView })
  @ApiProblems({
    400: ['invalid-webhook-url'],
    403: ['forbidden'],
    409: ['idempotency-key-reused'],
    422: ['too-many-webhook-endpoints'],
  })
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateWebhookEndpointDto) {
    return this.endpoints.create(principal, body);
  }

  @Get()
  @ApiOperation({ summary: 'Your webhook endpoints', description: 'Oldest first; secrets are not shown.' })
  @ApiOkResponse({ type: WebhookEndpointsView })
  list(@CurrentPrincipal() principal: Principal) {
    return this.endpoints.list(principal.accountId);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One of your webhook endpoints' })
  @ApiOkResponse({ type: WebhookEndpointView })
  @ApiProblems({ 404: ['not-found'] })
  get(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string) {
    return this.endpoints.get(principal.accountId, id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change a webhook endpoint',
    description: 'Its URL, event types, description, or whether it is enabled; what is left out stays.',
  })
  @ApiOkResponse({ type: WebhookEndpointView })
  @ApiProblems({ 400: ['invalid-webhook-url'], 404: ['not-found'] })
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: UpdateWebhookEndpointDto,
  ) {
    return this.endpoints.update(principal.accountId, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a webhook endpoint',
    description: 'With its delivery log; nothing more is sent to it. Deleting it again is a no-op.',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  async delete(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string) {
    await this.endpoints.delete(principal.accountId, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Rotate a webhook endpoint’s secret',
    description:
      'Answers a new secret, shown only now. For 24 hours deliveries carry a signature with the ' +
      'previous secret too (space-separated in `webhook-signature`), so your receiver can switch over.',
  })
  @ApiOkResponse({ type: WebhookEndpointWithSecretView })
  @ApiProblems({ 404: ['not-found'] })
  rotateSecret(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string) {
    return this.endpoints.rotateSecret(principal.accountId, id);
  }

  @Get(':id/deliveries')
  @ApiOperation({
    summary: 'A webhook endpoint’s deliveries',
    description:
      'Newest first, each with its attempts: when, how long, the status and the start of the body ' +
      'your endpoint answered, or why no answer came. Keyset pages: pass `nextCursor` back as ' +
      '`cursor` with the same `status`.',
  })
  @ApiOkResponse({ type: WebhookDeliveriesPageView })
  @ApiProblems({ 404: ['not-found'] })
  deliveries(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: WebhookDeliveriesQuery,
  ) {
    return this.endpoints.deliveries(principal.accountId, id, query);
  }

  @Post(':id/deliveries/:deliveryId/replay')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Send a delivery again',
    description:
      'Queues a new delivery of the same event, with the same event id (`webhook-id`), to this ' +
      'endpoint: for one that failed, or one your system lost. Each call sends it once more.',
  })
  @ApiAcceptedResponse({ type: WebhookDeliveryView, description: 'The new delivery, pending' })
  @ApiProblems({ 404: ['not-found'] })
  replay(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('deliveryId', ParseUUIDPipe) deliveryId: string,
  ) {
    return this.endpoints.replay(principal.accountId, id, deliveryId);
  }
}
