import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const libs = fileURLToPath(new URL('./libs/', import.meta.url));

export default defineConfig({
  resolve: {
    // Mirrors package.json "imports": "#name" is the lib's public index.
    alias: [
      { find: /^#ledger-core$/, replacement: `${libs}ledger/src/core/index.ts` },
      { find: /^#([\w-]+)$/, replacement: `${libs}$1/src/index.ts` },
    ],
  },
  test: {
    include: ['libs/**/*.spec.ts', 'test/**/*.spec.ts', 'test/**/*.e2e-spec.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
