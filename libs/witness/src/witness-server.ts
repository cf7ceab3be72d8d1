import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Witness } from './witness.js';

/** A checkpoint with 63 proof lines and many signatures fits easily; anything bigger is not one. */
const MAX_BODY_BYTES = 64 * 1024;

export interface WitnessServerOptions {
  /** The submission prefix, e.g. "" or "/witness" (no trailing slash). */
  prefix?: string;
  host?: string;
  port?: number;
}

/**
 * Serves C2SP tlog-witness over HTTP: `POST <prefix>/add-checkpoint`. Keep-alive is node's default.
 * Resolves once listening, with the base URL (the submission prefix) to give log operators.
 */
export async function startWitnessServer(
  witness: Witness,
  { prefix = '', host = '127.0.0.1', port = 0 }: WitnessServerOptions = {},
): Promise<{ server: Server; url: string }> {
  const path = `${prefix}/add-checkpoint`;
  const server = createServer((request, response) => {
    const reply = (
      status: number,
      contentType: string,
      body: string,
      headers: Record<string, string> = {},
    ) => {
      response.writeHead(status, { 'content-type': contentType, ...headers });
      response.end(body);
    };
    if (request.url !== path) return reply(404, 'text/plain; charset=utf-8', 'not found\n');
    if (request.method !== 'POST') {
      return reply(405, 'text/plain; charset=utf-8', 'use POST\n', { allow: 'POST' });
    }
    readBody(request)
      .then(
        async (body) => {
          if (body === undefined) return reply(413, 'text/plain; charset=utf-8', 'request body too large\n');
          const answer = await witness.addCheckpoint(body);
          reply(answer.status, answer.contentType, answer.body);
        },
        () => reply(400, 'text/plain; charset=utf-8', 'could not read the request body\n'),
      )
      .catch((error: unknown) => {
        console.error(JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: String(error) }));
        if (!response.headersSent) reply(500, 'text/plain; charset=utf-8', 'internal error\n');
      });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { server, url: `http://${shownHost}:${address.port}${prefix}` };
}

/** The whole body, or undefined past the size limit. */
async function readBody(request: IncomingMessage): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
