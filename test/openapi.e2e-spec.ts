import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { client } from './support/http.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

describe('OpenAPI document', () => {
  let app: TestApp;
  let operations: { id: string; operation: any }[];
  let schemas: Record<string, unknown>;
  let document: any;

  beforeAll(async () => {
    app = await startTestApp({}, undefined, { jobs: false });
    document = (await client(app.url)('GET', '/docs/openapi.json')).body;
    schemas = document.components?.schemas ?? {};
    operations = Object.entries(document.paths as Record<string, any>).flatMap(([path, item]) =>
      METHODS.filter((method) => item[method]).map((method) => ({
        id: `${method.toUpperCase()} ${path}`,
        operation: item[method],
      })),
    );
  });
  afterAll(() => app.close());

  it('gives every operation a summary and says who may call it', () => {
    expect(operations.length).toBeGreaterThan(40);
    const missing = operations
      .filter(({ operation }) => !operation.summary || !Array.isArray(operation['x-roles']))
      .map(({ id }) => id);
    expect(missing).toEqual([]);
    for (const { operation } of operations) expect(operation.description).toMatch(/\*\*Who may call:\*\*/);
  });

  it('documents a success response with its schema for every operation', () => {
    const missing = operations
      .filter(({ operation }) => {
        const success = Object.entries(operation.responses as Record<string, any>).filter(([status]) =>
          /^2\d\d$/.test(status),
        );
        return !success.some(([status, response]) => status === '204' || response.content);
      })
      .map(({ id }) => id);
    expect(missing).toEqual([]);
  });

  it('names a documented schema for every JSON success response, and only schemas that exist', () => {
    const unresolved = new Set<string>();
    for (const { id, operation } of operations) {
      for (const [status, response] of Object.entries(operation.responses as Record<string, any>)) {
        if (!/^2\d\d$/.test(status)) continue;
        for (const [type, media] of Object.entries(response.content ?? {}) as [string, any][]) {
          const names = schemaRefs(media.schema, schemas);
          // A JSON answer names the view it is, so its fields are documented (not a bare object).
          if (type.includes('json') && names.size === 0) unresolved.add(`${id} ${status} ${type}: no schema`);
          for (const name of names) {
            if (!(name in schemas)) unresolved.add(`${id} ${status} ${type}: ${name}`);
          }
        }
      }
    }
    expect([...unresolved]).toEqual([]);
  });

  it('documents the problem answers of every operation as problem+json with stable codes', () => {
    for (const { id, operation } of operations) {
      const problems = Object.entries(operation.responses as Record<string, any>).filter(([status]) =>
        /^[45]\d\d$/.test(status),
      );
      expect(
        problems.map(([status]) => status),
        id,
      ).toContain('400');
      for (const [status, response] of problems) {
        expect(response.content?.['application/problem+json'], `${id} ${status}`).toBeDefined();
        expect(response.description, `${id} ${status}`).toMatch(/`[a-z-]+`/);
      }
      if (!operation['x-roles'].includes('anyone')) expect(operation.responses['401'], id).toBeDefined();
    }
  });

  it("keeps the web front's copy of this document, and the client types generated from it, current", () => {
    // The web front's typed client is generated from a committed copy (so building it needs no
    // running API). HEIRLOOM_UPDATE_WEB_API=1 rewrites the copy and regenerates the types.
    const update = process.env.HEIRLOOM_UPDATE_WEB_API === '1';
    const copy = 'apps/web/src/api/openapi.json';
    const types = 'apps/web/src/api/schema.d.ts';
    if (update) writeFileSync(copy, `${JSON.stringify(document, null, 2)}\n`);
    expect(
      JSON.parse(readFileSync(copy, 'utf8')),
      `${copy} is stale: run HEIRLOOM_UPDATE_WEB_API=1 npm test test/openapi.e2e-spec.ts`,
    ).toEqual(document);
    const scratch = mkdtempSync(join(tmpdir(), 'heirloom-api-types-'));
    try {
      const generated = join(scratch, 'schema.d.ts');
      const run = spawnSync('npx', ['openapi-typescript', copy, '-o', generated], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      if (update) writeFileSync(types, readFileSync(generated));
      expect(readFileSync(types, 'utf8'), `${types} is stale: run npm run web:api-types`).toBe(
        readFileSync(generated, 'utf8'),
      );
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

/** Every components/schemas name a schema refers to, directly or through the schemas it names. */
function schemaRefs(
  schema: unknown,
  schemas: Record<string, unknown>,
  seen = new Set<string>(),
): Set<string> {
  if (Array.isArray(schema)) for (const item of schema) schemaRefs(item, schemas, seen);
  else if (schema && typeof schema === 'object') {
    for (const [key, value] of Object.entries(schema)) {
      if (key === '$ref' && typeof value === 'string') {
        // Any other kind of ref keeps its whole text as the name, so it is reported as unresolved.
        const name = value.replace('#/components/schemas/', '');
        if (seen.has(name)) continue;
        seen.add(name);
        schemaRefs(schemas[name], schemas, seen);
      } else schemaRefs(value, schemas, seen);
    }
  }
  return seen;
}
