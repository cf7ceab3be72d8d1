/**
 * Web front benchmark (issue 14): in headless Chromium (Debian's), with BENCH_TOKENS (100,000)
 * tokens minted through the API, the time from navigation to the main content of the storefront
 * home (its newest pieces) and of a token page (its provenance), each in a fresh browser context
 * (nothing cached), BENCH_RUNS (20) times. Baseline in the same run: navigating to the API's
 * /health (a page with nothing to render, the browser's and server's floor). Also the storefront's
 * initial JavaScript, gzipped (target ≤ 200 KB). `npm run bench:web`.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Sequencer } from '#ledger';
import {
  benchApp,
  call,
  createBenchCollection,
  percentile,
  report,
  runBench,
  signUpCreator,
  uploadPng,
} from './support.js';

const TOKENS = Number(process.env.BENCH_TOKENS ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const PER_MINT = 10_000;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WEB_DIR = join(import.meta.dirname, '..', 'web');

/** Gzipped bytes of what index.html loads before any route runs: its scripts, preloads and styles. */
function initialBytes(): { js: number; css: number; files: string[] } {
  const html = readFileSync(join(WEB_DIR, 'index.html'), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
  let js = 0;
  let css = 0;
  for (const file of files) {
    const size = gzipSync(readFileSync(join(WEB_DIR, file))).length;
    if (file.endsWith('.js')) js += size;
    else css += size;
  }
  return { js, css, files };
}

/** ms from navigation start until `ready` is visible, in a fresh context. */
async function timeToContent(browser: Browser, url: string, ready: (page: Page) => Promise<unknown>) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const started = performance.now();
    await page.goto(url, { waitUntil: 'commit' });
    await ready(page);
    return performance.now() - started;
  } finally {
    await context.close();
  }
}

async function run(databaseUrl: string): Promise<void> {
  const { app, url } = await benchApp(databaseUrl);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const creator = await signUpCreator(app, url);
    const image = await uploadPng(url, creator.token);
    const collectionId = await createBenchCollection(url, creator.token);
    const started = performance.now();
    let tokenId = '';
    for (let minted = 0; minted < TOKENS; minted += PER_MINT) {
      const items = Array.from({ length: 10 }, (_, i) => ({
        editions: PER_MINT / 10,
        metadata: {
          name: `Lantern ${minted / PER_MINT}-${i}`,
          description: 'A paper lantern over the river',
          image: `ipfs://${image}`,
          attributes: [{ trait_type: 'color', value: ['amber', 'jade', 'ink', 'rose'][i % 4] }],
        },
      }));
      const body = { idempotencyKey: `bench-${randomUUID()}`, items };
      const result = await call(url, 'POST', `/collections/${collectionId}/mint`, body, creator.token);
      tokenId = result.tokenIds[0];
    }
    await call(url, 'POST', '/listings', { tokenId, priceMinor: 1999, currency: 'USD' }, creator.token);
    // Measured in steady state: every mint entry integrated into the log (as minutes after a mint).
    await app.get(Sequencer).drain();
    console.log(
      `minted and integrated ${TOKENS} tokens in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    const measure = async (ready: (page: Page) => Promise<unknown>, path: string) => {
      await timeToContent(browser, `${url}${path}`, ready); // warm the server, not the browser
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) times.push(await timeToContent(browser, `${url}${path}`, ready));
      return times;
    };
    const baseline = await measure((page) => page.waitForLoadState('load'), '/health');
    const home = await measure(
      (page) => page.locator('section[aria-labelledby="latest"] .grid li').first().waitFor(),
      '/',
    );
    const item = await measure(
      (page) => page.locator('.timeline li').first().waitFor(),
      `/item/${encodeURIComponent(tokenId)}`,
    );
    const base = percentile(baseline, 50);
    const apiTime = async (path: string) => {
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        await call(url, 'GET', path);
        times.push(performance.now() - t0);
      }
      return percentile(times, 50).toFixed(1);
    };
    console.log(
      `   API alone, p50: GET /catalogue/series ${await apiTime('/catalogue/series?limit=12')} ms, ` +
        `GET /drops ${await apiTime('/drops?state=live&limit=12')} ms, ` +
        `GET /catalogue/tokens/:id ${await apiTime(`/catalogue/tokens/${encodeURIComponent(tokenId)}`)} ms`,
    );
    for (const [name, times] of [
      ['storefront home', home],
      ['token page', item],
    ] as const) {
      console.log(`${name}: p50 ${percentile(times, 50).toFixed(0)} ms`);
      report(
        `${name}: main content rendered, p95 (${TOKENS} tokens)`,
        percentile(times, 95),
        'ms',
        base,
        '< 1000 ms',
      );
    }
    const bytes = initialBytes();
    console.log(
      `storefront initial JavaScript: ${(bytes.js / 1024).toFixed(1)} KB gzipped (target <= 200 KB), ` +
        `CSS ${(bytes.css / 1024).toFixed(1)} KB; ${bytes.files.join(', ')}`,
    );
  } finally {
    await browser.close();
    await app.close();
  }
}

runBench(run);
