import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * The browser's pages. Each is a path no API route uses, so a page and the API can share the
 * origin without content negotiation: a page reload or a shared link always gets the page.
 */
export const WEB_FRONT_PATHS = [
  '/',
  '/browse',
  '/item/*',
  '/drop/*',
  '/login',
  '/signup',
  '/my',
  '/my/*',
  '/studio',
  '/studio/*',
  '/console',
  '/console/*',
  '/verify',
] as const;

/**
 * Only our own scripts and styles; images from this origin (media) and data URLs (previews);
 * Stripe's Payment Element when Stripe is the card rail. No inline script, no framing.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' https://js.stripe.com https://*.js.stripe.com",
  'frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com',
  "connect-src 'self' https://api.stripe.com",
  "img-src 'self' data: blob: https://*.stripe.com",
  "style-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** dist/web, whether this file runs compiled (dist/libs/…) or from source (libs/…, under Vitest). */
function builtWebDir(): string {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  return root.replace(/\/$/, '').endsWith('/dist') ? `${root}web` : `${root}dist/web`;
}

/**
 * Serves the built web front: its hashed assets as immutable files, its page at each of
 * WEB_FRONT_PATHS. Returns false (and serves nothing) when it has not been built.
 */
export async function registerWebFront(fastify: FastifyInstance, webDir = builtWebDir()): Promise<boolean> {
  const indexFile = `${webDir}/index.html`;
  if (!existsSync(indexFile)) return false;
  const page = readFileSync(indexFile);
  await fastify.register(fastifyStatic, {
    root: `${webDir}/assets`,
    prefix: '/assets/',
    decorateReply: false,
    // Vite names every asset by its content hash, so a cached copy never goes stale.
    immutable: true,
    maxAge: '365d',
    index: false,
  });
  for (const path of WEB_FRONT_PATHS) {
    fastify.get(path, (_request, reply) =>
      reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('content-security-policy', CONTENT_SECURITY_POLICY)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'same-origin')
        .send(page),
    );
  }
  return true;
}
