// One way to build the Stripe SDK client, shared by the card rail (payments) and Connect payouts,
// so both talk to the same endpoint with the same timeouts and retries.
import Stripe from 'stripe';

export interface StripeClientOptions {
  secretKey: string;
  /** API base URL override, e.g. `http://127.0.0.1:12111` (a local test server); or give host/port/protocol. */
  apiUrl?: string;
  /** API host override. */
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
  /** SDK retries on network errors, 409 and 5xx, replaying the same idempotency key (default 1). */
  maxNetworkRetries?: number;
  /** How long one request waits for its answer (default 3 s): with the retries, a request answers in seconds. */
  timeoutMs?: number;
}

/** The Stripe SDK client for these options. */
export function createStripeClient(options: StripeClientOptions): Stripe {
  if (!options.secretKey) throw new Error('The Stripe client needs a secret key');
  const config: Stripe.StripeConfig = {
    // Stripe's SDK defaults (80 s, 2 retries) would hold a request for minutes when Stripe is unreachable.
    maxNetworkRetries: options.maxNetworkRetries ?? 1,
    timeout: options.timeoutMs ?? 3_000,
    appInfo: { name: 'heirloom' },
  };
  const endpoint = { ...endpointOf(options.apiUrl), ...definedEndpoint(options) };
  // Only set what was given: the SDK would otherwise take `undefined` as a value.
  if (endpoint.host !== undefined) config.host = endpoint.host;
  if (endpoint.port !== undefined) config.port = endpoint.port;
  if (endpoint.protocol !== undefined) config.protocol = endpoint.protocol;
  return new Stripe(options.secretKey, config);
}

type Endpoint = Pick<StripeClientOptions, 'host' | 'port' | 'protocol'>;

function endpointOf(apiUrl: string | undefined): Endpoint {
  if (!apiUrl) return {};
  const url = new URL(apiUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`Unsupported Stripe API URL ${apiUrl}`);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, protocol, ...(url.port ? { port: Number(url.port) } : {}) };
}

function definedEndpoint({ host, port, protocol }: Endpoint): Endpoint {
  return Object.fromEntries(
    Object.entries({ host, port, protocol }).filter(([, value]) => value !== undefined),
  ) as Endpoint;
}
