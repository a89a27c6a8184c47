import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { importErrorLocation } from '../../src/modules/importErrorLocation.js';
import { writeFiles } from '../helpers/distribution.js';
import { tempHomes } from '../helpers/tempHome.js';

const homes = tempHomes();
afterEach(() => homes.cleanup());

// Node 20 reports a module that does not compile with no place at all: these errors carry none either.
const compileError = (): SyntaxError => Object.assign(new SyntaxError("Unexpected token ';'"), { stack: "SyntaxError: Unexpected token ';'\n    at compileSourceTextModule (node:internal/modules/esm/utils:346:16)" });

describe('where a module failed to import', () => {
  test('a syntax error is found in the file the entry imports, past data files and CommonJS that compile', async () => {
    const root = await homes.make();
    await writeFiles(root, {
      'main.js': "import data from './data.json' with { type: 'json' };\nimport './legacy.js';\nexport const note = './not-an-import.js';\nexport { helper } from './lib/helper.js';\n",
      'data.json': '{ "a": 1 }',
      // Valid CommonJS (a top-level return), invalid as an ES module: not the culprit.
      'legacy.js': 'if (true) return;\nmodule.exports = 1;\n',
      'not-an-import.js': 'this is not javascript at all\n',
      'lib/helper.js': 'export function helper() {\n  return 1 +;\n}\n',
    });
    expect(await importErrorLocation(join(root, 'main.js'), compileError())).toBe(`${join(root, 'lib', 'helper.js')}:2:13`);
  });

  test('a module with more imports than the files it checks at most still has them checked', async () => {
    const root = await homes.make();
    const files: Record<string, string> = { 'main.js': Array.from({ length: 60 }, (_, i) => `import './f${i}.js';`).join('\n') };
    for (let i = 0; i < 60; i++) files[`f${i}.js`] = i === 0 ? 'export const x = ;\n' : 'export {};\n';
    await writeFiles(root, files);
    expect(await importErrorLocation(join(root, 'main.js'), compileError())).toBe(`${join(root, 'f0.js')}:1:18`);
  });

  test("an error with a place in the module's own folder is located by its stack, not in Lattice's code it called", async () => {
    const root = await homes.make();
    const error = new Error('cannot start here');
    error.stack = `Error: cannot start here\n    at fail (file:///opt/lattice/dist/src/component/decorators/Component.js:10:5)\n    at file://${root}/mod.js?lattice-v=3:2:7`;
    expect(await importErrorLocation(join(root, 'mod.js'), error)).toBe(`${join(root, 'mod.js')}:2:7`);
    expect(await importErrorLocation(join(root, 'mod.js'), new Error('no place'))).toBeUndefined();
  });
});
