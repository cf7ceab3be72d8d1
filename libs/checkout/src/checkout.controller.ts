import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Req,
  UseFilters,
} from '@nestjs/common';
import { ApiBearerAuth, ApiExcludeEndpoint, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { problems } from '#http';
import { CurrentPrincipal, OptionalPrincipal, type Principal, Public, Roles } from '#identity';
import { CheckoutDto, CreateDropDto, CreateListingDto, PayDto, SandboxChallengeDto } from './checkout.dto.js';
import { CheckoutService } from './checkout.service.js';
import { ListingService } from './listing.service.js';
import { LotteryService } from './lottery.service.js';
import { PaymentErrorFilter } from './payment-error.filter.js';
import { PaymentEventsService } from './payment-events.service.js';
import { renderChallengePage } from './sandbox-page.js';

@ApiTags('checkout')
@ApiBearerAuth()
@UseFilters(PaymentErrorFilter)
@Controller()
export class CheckoutController {
  constructor(
    private readonly checkout: CheckoutService,
    private readonly listings: ListingService,
    private readonly lotteries: LotteryService,
  ) {}

  /** Reserves an edition and pays for it; answers with the order (and a 3-D Secure step if needed). */
  @Post('checkout')
  create(@CurrentPrincipal() principal: Principal, @Body() body: CheckoutDto) {
    return this.checkout.checkout(principal, body);
  }

  /** Pays for a reserved order (reserve-then-pay checkout). */
  @Post('orders/:id/pay')
  @HttpCode(200)
  pay(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: PayDto,
  ) {
    return this.checkout.pay(principal, id, body);
  }

  @Get('orders/:id')
  order(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string) {
    return this.checkout.getOrder(principal, id);
  }

  @Post('listings')
  list(@CurrentPrincipal() principal: Principal, @Body() body: CreateListingDto) {
    return this.listings.createListing(principal, body);
  }

  @Roles('creator')
  @Post('drops')
  createDrop(@CurrentPrincipal() principal: Principal, @Body() body: CreateDropDto) {
    return this.listings.createDrop(principal, body);
  }

  /** A drop's public view: counts and the draw's data, never account ids; a signed-in caller also sees their entry. */
  @Public()
  @Get('drops/:id')
  drop(@OptionalPrincipal() principal: Principal | undefined, @Param('id', ParseUUIDPipe) id: string) {
    return this.lotteries.view(id, principal);
  }

  @Post('drops/:id/entries')
  enter(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string) {
    return this.lotteries.enter(principal, id);
  }

  @Post('drops/:id/draw')
  @HttpCode(200)
  draw(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string) {
    return this.lotteries.draw(principal, id);
  }
}

/** Stripe (and the sandbox rail) deliver signed events here; the raw body is what is signed. */
@ApiTags('webhooks')
@Public()
@Controller('webhooks')
export class WebhookController {
  constructor(private readonly events: PaymentEventsService) {}

  @Post('stripe')
  @HttpCode(200)
  receive(@Req() request: FastifyRequest & { rawBody?: Buffer }) {
    if (!request.rawBody) throw problems.badRequest('invalid-webhook', 'Expected a JSON body');
    return this.events.receive(request.rawBody, request.headers['stripe-signature'] as string | undefined);
  }
}

/** The sandbox rail's 3-D Secure challenge, standing in for the card issuer's page. */
@ApiTags('sandbox')
@Public()
@UseFilters(PaymentErrorFilter)
@Controller('sandbox/3ds')
export class SandboxChallengeController {
  constructor(private readonly checkout: CheckoutService) {}

  @ApiExcludeEndpoint()
  @Get(':paymentId')
  @Header('content-type', 'text/html; charset=utf-8')
  page(@Param('paymentId') paymentId: string) {
    return renderChallengePage(paymentId);
  }

  @Post(':paymentId')
  @HttpCode(200)
  complete(@Param('paymentId') paymentId: string, @Body() body: SandboxChallengeDto) {
    return this.checkout.completeChallenge(paymentId, body.approve);
  }
}
