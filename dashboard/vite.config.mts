import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// The dashboard is built into dist/dashboard next to the compiled server, which serves it at /dashboard/.
export default defineConfig({
  root,
  base: '/dashboard/',
  build: {
    outDir: fileURLToPath(new URL('../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    // Brain's CSP for /dashboard allows no inline script, so nothing may be inlined as a data: module.
    assetsInlineLimit: 0,
  },
});
