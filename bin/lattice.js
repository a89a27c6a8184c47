#!/usr/bin/env node
// The `lattice` command. The build (npm run build) puts the CLI under dist/.
import { existsSync } from 'node:fs';
import module from 'node:module';

// Node 22.1 and later keep compiled code between runs (in the OS's temp folder): a start spends most of its
// time loading modules. Node 20 has no such cache, and goes on without it.
module.enableCompileCache?.();

const main = new URL('../dist/src/shell/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('lattice: the build is missing; run "npm run build" in the Lattice folder first.\n');
  process.exit(1);
}
await import(main.href);
