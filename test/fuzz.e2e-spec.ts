// Property-based fuzzing of every operation in /docs/openapi.json, against the built API running as
// a child process (so a request that kills it fails this test instead of Vitest). Requests carry
// generated path parameters, query strings, bodies, content types and credentials of every role.
// Properties: no answer is a 5xx, the process stays up, and a rejected request writes nothing.
//
// FUZZ_RUNS=<n> sets the requests per operation (default 80); FUZZ_SEED=<n> replays a run (the
// seed is printed when a property fails); FUZZ_ONLY="POST /media" fuzzes only operations whose
// "METHOD /template" contains it; FUZZ_LOG=1 prints every request and answer. Needs `npm run build` first.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, sql } from './support/app.js';
import { differences } from './support/fuzz/fingerprint.js';
import { startHarness, type Harness } from './support/fuzz/harness.js';
import { operationsOf, type OpenApiDocument, type Operation } from './support/fuzz/openapi.js';
import { fuzzRequest } from './support/fuzz/request.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 80);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const ONLY = process.env.FUZZ_ONLY;
const MAIN = fileURLToPath(new URL('../dist/apps/api/src/main.js', import.meta.url));

describe('fuzz (e2e): hostile requests to every documented operation', () => {
  let scratch: { url: string; drop(): Promise<void> };
  let harness: Harness;
  let operations: Operation[];

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
    scratch = await createScratchDatabase();
    harness = await startHarness(scratch.url);
    const document = (await (await fetch(`${harness.url()}/docs/openapi.json`)).json()) as OpenApiDocument;
    operations = operationsOf(document);
    console.log(`fuzz: ${operations.length} operations, ${RUNS} requests each, FUZZ_SEED=${SEED}`);
  }, 180_000);

  afterAll(async () => {
    await harness?.stop();
    await scratch?.drop();
  });

  it('finds the operations in the OpenAPI document', () => {
    expect(operations.length).toBeGreaterThan(40);
    expect(operations.map((op) => `${op.method} ${op.template}`)).toContain('POST /media');
  });

  it('notices a write with its fingerprint', async () => {
    const before = await harness.fingerprint();
    await sql(scratch.url, `UPDATE collections SET description = description || 'x' WHERE id = $1`, [
      harness.world.ids.collection[0],
    ]);
    const after = await harness.fingerprint();
    await sql(scratch.url, `UPDATE collections SET description = left(description, -1) WHERE id = $1`, [
      harness.world.ids.collection[0],
    ]);
    expect(differences(before, after)).toEqual([expect.stringMatching(/^collections: /)]);
    expect(differences(before, await harness.fingerprint())).toEqual([]);
  });

  it('answers every request below 500, stays up, and writes nothing for a rejected request', async () => {
    const failures: string[] = [];
    for (const [index, operation] of operations.entries()) {
      if (ONLY && !`${operation.method} ${operation.template}`.includes(ONLY)) continue;
      const crashesBefore = harness.crashes.length;
      const result = await fc.check(
        fc.asyncProperty(fc.limitShrink(fuzzRequest(harness.world, operation), 60), async (request) => {
          // After a crash, shrinking would only "confirm" failures against a restarted process:
          // pass everything else, so the reported case is the request that killed it.
          if (harness.crashes.length > crashesBefore) return;
          await harness.check(request);
        }),
        { numRuns: RUNS, seed: SEED + index },
      );
      if (result.failed) {
        const error =
          result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
        const name = `${operation.method} ${operation.template}`;
        const replay = `replay: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} FUZZ_ONLY='${name}'`;
        failures.push(`${name}   (${replay})\n${fc.defaultReportMessage(result)}\n${error}`);
      }
    }
    console.log(statusTable(harness.statuses));
    const health = await fetch(`${harness.url()}/health`).then((response) => response.status, String);
    if (health !== 200) failures.push(`GET /health after the run: ${health}`);
    // Thrown as is, so the requests print unescaped; a crash also fails its operation above.
    if (failures.length) throw new Error(`${failures.length} failures:\n\n${failures.join('\n\n')}`);
    expect(harness.crashes).toEqual([]);
  }, 900_000);
});

/** One line per operation: how many answers of each status, to see what the run reached. */
function statusTable(statuses: Map<string, Map<number, number>>): string {
  return [...statuses]
    .map(([operation, counts]) => {
      const cells = [...counts].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`);
      return `${operation.padEnd(48)} ${cells.join(' ')}`;
    })
    .join('\n');
}
