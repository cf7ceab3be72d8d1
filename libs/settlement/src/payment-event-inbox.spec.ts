import { describe, expect, it } from 'vitest';
import { PaymentEventInbox } from './payment-event-inbox.js';

describe('PaymentEventInbox', () => {
  it('refuses a delivery before the inbox is connected (the sandbox outbox retries it later)', async () => {
    await expect(new PaymentEventInbox().deliver('{}', 't=1,v1=x')).rejects.toThrow(/not connected/);
  });

  it('hands the signed body, unchanged, to the connected receive path', async () => {
    const inbox = new PaymentEventInbox();
    const received: [Buffer | string, string][] = [];
    inbox.connect(async (rawBody, signature) => received.push([rawBody, signature]));
    await inbox.deliver('{"id":"evt_1"}', 't=1,v1=abc');
    expect(received).toEqual([['{"id":"evt_1"}', 't=1,v1=abc']]);
  });
});
