import { Injectable } from '@nestjs/common';

type Receive = (rawBody: Buffer | string, signature: string) => Promise<unknown>;

/**
 * The in-process door to the webhook inbox, for the sandbox rail: its signed events go through the
 * same `PaymentEventsService.receive` as Stripe's POST /webhooks/stripe, without a loopback HTTP hop.
 * The payment provider is built with this port (the inbox service itself depends on the provider),
 * and `SettlementModule` connects the inbox at module init. A delivery before that fails, and the
 * sandbox's outbox delivers it again later.
 */
@Injectable()
export class PaymentEventInbox {
  private receive?: Receive;

  connect(receive: Receive): void {
    this.receive = receive;
  }

  async deliver(rawBody: Buffer | string, signature: string): Promise<void> {
    if (!this.receive) throw new Error('the payment event inbox is not connected yet');
    await this.receive(rawBody, signature);
  }
}
