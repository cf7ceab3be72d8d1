// A proxy in front of the local Stripe API that can lose its answers: in `swallow` mode each request
// still reaches Stripe (which acts on it) but the reply never comes back, as when the network drops
// between Stripe and us after Stripe did the work. Records every request with its query string.
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FaultMode = 'forward' | 'swallow';

export interface ProxiedRequest {
  method: string;
  /** Path with its query string, e.g. `/v1/payment_intents/pi_1?expand[0]=latest_charge` (decoded). */
  url: string;
  idempotencyKey?: string;
  /** Milliseconds since the proxy started. */
  at: number;
}

export interface StripeFaultProxy {
  url: string;
  mode: FaultMode;
  requests: ProxiedRequest[];
  /** Bodies of the replies that were swallowed, parsed: what Stripe did but we never heard. */
  swallowed: Record<string, unknown>[];
  close(): Promise<void>;
}

/** Starts the proxy on 127.0.0.1 at a random port, forwarding to `upstreamUrl`. */
export async function startStripeFaultProxy(upstreamUrl: string): Promise<StripeFaultProxy> {
  const upstream = new URL(upstreamUrl);
  const started = Date.now();
  const sockets = new Set<Socket>();
  const proxy: StripeFaultProxy = {
    url: '',
    mode: 'forward',
    requests: [],
    swallowed: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };

  const server = createServer((req, res) => {
    const mode = proxy.mode;
    proxy.requests.push({
      method: req.method ?? 'GET',
      url: decodeURIComponent(req.url ?? '/'),
      idempotencyKey: headerOf(req, 'idempotency-key'),
      at: Date.now() - started,
    });
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (reply) => (mode === 'forward' ? relay(reply, res) : swallow(reply, proxy)),
    );
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

function relay(reply: IncomingMessage, res: ServerResponse): void {
  res.writeHead(reply.statusCode ?? 502, reply.headers);
  reply.pipe(res);
}

// Reads Stripe's reply and keeps it; the client's connection is left open with no answer.
function swallow(reply: IncomingMessage, proxy: StripeFaultProxy): void {
  const chunks: Buffer[] = [];
  reply.on('data', (chunk: Buffer) => chunks.push(chunk));
  reply.on('end', () => proxy.swallowed.push(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
