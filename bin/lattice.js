#!/usr/bin/env node
// The `lattice` command. The build (npm run build) puts the CLI under dist/.
import { existsSync } from 'node:fs';

const main = new URL('../dist/src/shell/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('lattice: the build is missing; run "npm run build" in the Lattice folder first.\n');
  process.exit(1);
}
await import(main.href);
