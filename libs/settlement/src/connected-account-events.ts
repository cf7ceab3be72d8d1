import { Injectable } from '@nestjs/common';
import type { ConnectedAccountEvent } from '#payments';

type Handler = (event: ConnectedAccountEvent) => Promise<void>;

/**
 * The port through which the webhook inbox hands on Stripe Connect account events (onboarding state,
 * not payments): payouts subscribes at module init and keeps its own table; settlement only relays.
 * The handler must be idempotent: a repeated delivery of an event is handed on again.
 */
@Injectable()
export class ConnectedAccountEvents {
  private handler?: Handler;

  subscribe(handler: Handler): void {
    if (this.handler) throw new Error('connected-account events already have a subscriber');
    this.handler = handler;
  }

  /** Hands the event on; false when nothing subscribed (the event is then kept as ignored). */
  async deliver(event: ConnectedAccountEvent): Promise<boolean> {
    if (!this.handler) return false;
    await this.handler(event);
    return true;
  }
}
