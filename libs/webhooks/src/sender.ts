import { Webhook } from 'standardwebhooks';
import { Agent, request } from 'undici';
import { endpointUrlRefusal, guardedLookup } from './endpoint-url.js';

/** How much of an endpoint's answer is kept in the delivery log. */
export const RESPONSE_EXCERPT_BYTES = 1024;
/** Beyond this an answer is not read on (its connection is dropped rather than reused). */
const RESPONSE_READ_LIMIT = 64 * 1024;

/** One delivery attempt to make: the event as sent, where to, signed with which secrets. */
export interface Delivery {
  eventId: string;
  url: string;
  /** The endpoint's secret, then the previous one while it is still honoured after a rotation. */
  secrets: string[];
  /** The JSON body, the same on every attempt and replay. */
  payload: string;
}

/** What one attempt got: the answer's status and start, or the error that stopped it. */
export interface AttemptResult {
  startedAt: Date;
  durationMs: number;
  responseStatus: number | null;
  responseExcerpt: string | null;
  error: string | null;
  ok: boolean;
}

/**
 * Sends webhooks signed per the Standard Webhooks spec (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`) over kept-alive connections, one attempt per call, never throwing.
 */
export class WebhookSender {
  private readonly agent: Agent;
  private readonly signers = new Map<string, Webhook>();

  constructor(
    private readonly options: { timeoutMs: number; allowLocalUrls: boolean; connectionsPerOrigin: number },
  ) {
    this.agent = new Agent({
      connections: options.connectionsPerOrigin,
      keepAliveTimeout: 30_000,
      connect: { lookup: guardedLookup(options.allowLocalUrls), timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
  }

  /** The `webhook-signature` header: one `v1,` signature per secret, space-separated. */
  sign(delivery: Delivery, at: Date): string {
    return delivery.secrets
      .map((secret) => this.signer(secret).sign(delivery.eventId, at, delivery.payload))
      .join(' ');
  }

  async send(delivery: Delivery): Promise<AttemptResult> {
    const startedAt = new Date();
    const finish = (fields: Partial<AttemptResult>): AttemptResult => ({
      startedAt,
      durationMs: Date.now() - startedAt.getTime(),
      responseStatus: null,
      responseExcerpt: null,
      error: null,
      ok: false,
      ...fields,
    });
    // Checked again at send time: the rules may have tightened since the URL was registered.
    const refusal = endpointUrlRefusal(delivery.url, this.options.allowLocalUrls);
    if (refusal) return finish({ error: refusal });
    try {
      const response = await request(delivery.url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Heirloom-Webhooks/1',
          'webhook-id': delivery.eventId,
          'webhook-timestamp': String(Math.floor(startedAt.getTime() / 1000)),
          'webhook-signature': this.sign(delivery, startedAt),
        },
        body: delivery.payload,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      const excerpt = await readExcerpt(response.body);
      const status = response.statusCode;
      return finish({ responseStatus: status, responseExcerpt: excerpt, ok: status >= 200 && status < 300 });
    } catch (error) {
      return finish({ error: describeError(error, this.options.timeoutMs) });
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private signer(secret: string): Webhook {
    let signer = this.signers.get(secret);
    if (!signer) {
      if (this.signers.size > 10_000) this.signers.clear();
      signer = new Webhook(secret);
      this.signers.set(secret, signer);
    }
    return signer;
  }
}

/** The start of an answer's body as text, reading on (to keep the connection) up to a limit. */
async function readExcerpt(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string | null> {
  const chunks: Buffer[] = [];
  let read = 0;
  for await (const chunk of body) {
    if (read < RESPONSE_EXCERPT_BYTES) chunks.push(chunk);
    read += chunk.length;
    if (read > RESPONSE_READ_LIMIT) {
      body.destroy();
      break;
    }
  }
  if (read === 0) return null;
  // Cut on a character boundary (a trailing replacement character is a cut multi-byte one); NULs
  // cannot be stored in a text column.
  return Buffer.concat(chunks)
    .subarray(0, RESPONSE_EXCERPT_BYTES)
    .toString('utf8')
    .replace(/\uFFFD$/, '')
    .replaceAll('\u0000', '');
}

function describeError(error: unknown, timeoutMs: number): string {
  const { name, code, message } = error as { name?: string; code?: string; message?: string };
  if (name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
    return `no answer within ${timeoutMs} ms`;
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return `could not connect within ${timeoutMs} ms`;
  return `${code ?? name ?? 'Error'}: ${message ?? String(error)}`.slice(0, 500);
}
