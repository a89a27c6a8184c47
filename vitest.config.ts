import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Components import the public API by the package name, as a user's module would.
    // (and component modules written by tests may use its short name, as deploy/ modules may)
    alias: [
      { find: /^@lattice-scr\/lattice$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
      { find: /^@lattice-scr\/lattice\/testing$/, replacement: fileURLToPath(new URL('./src/testing/index.ts', import.meta.url)) },
      { find: /^lattice$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
