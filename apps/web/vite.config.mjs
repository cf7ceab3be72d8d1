import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

// Built into dist/web, which the API serves (libs/web-front). `npm run build` runs this.
export default defineConfig({
  root: here('.'),
  plugins: [react()],
  resolve: {
    // The ledger core is browser-safe: the verify page checks certificates with the same code.
    alias: [{ find: /^#ledger-core$/, replacement: here('../../libs/ledger/src/core/index.ts') }],
  },
  build: {
    outDir: here('../../dist/web'),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: true,
    target: 'es2022',
  },
});
