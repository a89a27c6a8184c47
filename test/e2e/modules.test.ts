import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { runLattice, spawnLattice, type LatticeProcess } from '../helpers/cli.js';
import { writeFiles } from '../helpers/distribution.js';
import { tempHomes } from '../helpers/tempHome.js';

const running: LatticeProcess[] = [];
const homes = tempHomes();
afterEach(async () => {
  for (const p of running.splice(0)) p.child.kill('SIGKILL');
  await homes.cleanup();
});

/** A plain JavaScript module that logs through its component's logger when activated. */
function talkingModule(name: string, importLine: string, said: string): string {
  return `import { Activate, Component } from '@lattice-scr/lattice';
${importLine}
export class Talker {
  activate(context) { context.logger.info(${said}); }
}
Activate(Talker.prototype, 'activate');
Component({ name: ${JSON.stringify(name)} })(Talker);
`;
}

describe('component modules outside any node_modules tree', () => {
  test("a module in a bare --home folder imports '@lattice-scr/lattice' (or 'lattice') and gets the running container's own copy, even with other copies beside it", async () => {
    const home = await homes.make();
    await writeFiles(home, {
      'features.json': { features: [{ name: 'talk', components: ['modules/talker.js', 'modules/short.js'] }], boot: ['talk'] },
      'modules/talker.js': talkingModule('talker', '', "'hello from a bare folder'"),
      'modules/short.js': talkingModule('short', '', "'hello by the short name'").replace("from '@lattice-scr/lattice'", "from 'lattice'"),
      // Stray copies that Node would pick without the loader's resolve hook.
      'node_modules/@lattice-scr/lattice/package.json': { name: '@lattice-scr/lattice', type: 'module', exports: './index.js' },
      'node_modules/@lattice-scr/lattice/index.js': "throw new Error('the wrong copy of lattice was loaded');\n",
      'node_modules/lattice/package.json': { name: 'lattice', type: 'module', exports: './index.js' },
      'node_modules/lattice/index.js': "throw new Error('the wrong copy of lattice was loaded');\n",
    });
    const lattice = spawnLattice(['start', '--home', home]);
    running.push(lattice);
    const started = await lattice.waitForLine((l) => l.msg === 'container started');
    expect(started.components).toEqual(['talker=active', 'short=active']);
    expect(lattice.lines.some((l) => l.component === 'short' && l.msg === 'hello by the short name')).toBe(true);
    expect(lattice.lines.some((l) => l.component === 'talker' && l.msg === 'hello from a bare folder')).toBe(true);
    lattice.child.kill('SIGTERM');
    expect(await lattice.exited).toBe(0);
  });

  test('a folder module in deploy/ is redeployed with all its files fresh when one of them changes', async () => {
    const home = await homes.make();
    await writeFiles(home, {
      'deploy/talk/index.js': talkingModule('folder-talker', "import { message } from './message.js';", 'message'),
      'deploy/talk/message.js': "export const message = 'first edition';\n",
    });
    const lattice = spawnLattice(['start', '--home', home]);
    running.push(lattice);
    await lattice.waitForLine((l) => l.msg === 'container started');
    expect(lattice.lines.some((l) => l.component === 'folder-talker' && l.msg === 'first edition')).toBe(true);
    await writeFile(join(home, 'deploy', 'talk', 'message.js'), "export const message = 'second edition';\n");
    await lattice.waitForLine((l) => l.component === 'folder-talker' && l.msg === 'second edition');
    lattice.child.kill('SIGTERM');
    expect(await lattice.exited).toBe(0);
  });

  test('a module that does not compile, throws, or imports a missing name is reported with the file and line where it went wrong', async () => {
    const home = await homes.make();
    const lattice = spawnLattice(['start', '--home', home]);
    running.push(lattice);
    await lattice.waitForLine((l) => l.msg === 'container started');
    await writeFiles(home, {
      // The syntax error sits in a file the entry imports: Node 20 names neither file nor line for it.
      'deploy/broken/index.js': "import { helper } from './helper.js';\nexport const x = helper;\n",
      'deploy/broken/helper.js': 'export function helper() {\n  return 1 +;\n}\n',
      'deploy/throws.js': "export const a = 1;\nthrow new Error('cannot start here');\n",
      'deploy/missing.js': "import { nothing } from './throws.js';\n",
    });
    const where = (entry: string) => lattice.waitForLine((l) => l.level === 50 && typeof l.msg === 'string' && l.msg.startsWith(`deploy/${entry}`));
    const deploy = join(home, 'deploy');
    expect((await where('broken')).msg).toBe(`deploy/broken: Module ${deploy}/broken/index.js could not be imported: ${deploy}/broken/helper.js:2:13: Unexpected token ';'`);
    expect((await where('throws.js')).msg).toBe(`deploy/throws.js: Module ${deploy}/throws.js could not be imported: ${deploy}/throws.js:2:7: cannot start here`);
    expect((await where('missing.js')).msg).toMatch(new RegExp(`^deploy/missing\\.js: Module .*could not be imported: ${deploy}/missing\\.js:1: The requested module './throws\\.js' does not provide an export named 'nothing'$`));
    lattice.child.kill('SIGTERM');
    expect(await lattice.exited).toBe(0);
  });

  test('two modules sharing a file: it is one module for both while unchanged; a changed one is loaded afresh for whichever reloads', async () => {
    const home = await homes.make();
    // Each evaluation of shared.js counts itself: the count tells which load a module got.
    const shared = (edition: number): string =>
      `globalThis.__sharedLoads = (globalThis.__sharedLoads ?? 0) + 1;\nexport const edition = ${edition};\nexport const load = globalThis.__sharedLoads;\n`;
    await writeFiles(home, {
      'features.json': {
        features: [
          { name: 'a', components: ['a.js'] },
          { name: 'b', components: ['b.js'] },
        ],
      },
      'a.js': talkingModule('a', "import { edition, load } from './shared.js';", "`a saw edition ${edition} (load ${load})`"),
      'b.js': talkingModule('b', "import { edition, load } from './shared.js';", "`b saw edition ${edition} (load ${load})`"),
      'shared.js': shared(1),
    });
    const lattice = spawnLattice(['start', '--home', home]);
    running.push(lattice);
    await lattice.waitForLine((l) => l.msg === 'container started');
    const cli = (...args: string[]) => runLattice([...args, '--home', home]);
    const cycle = async (name: string): Promise<void> => {
      await cli('feature', 'uninstall', name);
      expect((await cli('feature', 'install', name)).code).toBe(0);
    };
    expect((await cli('feature', 'install', 'a', 'b')).code).toBe(0);
    await writeFile(join(home, 'shared.js'), shared(2));
    await cycle('a');
    await writeFile(join(home, 'shared.js'), shared(3));
    await cycle('a');
    await cycle('b');
    const said = lattice.lines.map((l) => l.msg).filter((m) => / saw edition /.test(m));
    expect(said).toEqual(['a saw edition 1 (load 1)', 'b saw edition 1 (load 1)', 'a saw edition 2 (load 2)', 'a saw edition 3 (load 3)', 'b saw edition 3 (load 3)']);
    expect((await cli('stop')).code).toBe(0);
  });

  test('a module that failed for a missing npm package deploys once the package is installed and the module touched, its code unchanged', async () => {
    const home = await homes.make();
    await writeFiles(home, {
      'deploy/needy.js': `import { Component } from '@lattice-scr/lattice';\nimport pad from 'no-such-package-for-lattice';\nexport class Needy { value = pad; }\nComponent({ name: 'needy' })(Needy);\n`,
    });
    const lattice = spawnLattice(['start', '--home', home]);
    running.push(lattice);
    await lattice.waitForLine((l) => typeof l.msg === 'string' && l.msg.includes("Cannot find package 'no-such-package-for-lattice'"));
    // Installed where Node looks (a node_modules above the module), then the module touched: same code,
    // so only a new attempt can import it again.
    await writeFiles(home, {
      'node_modules/no-such-package-for-lattice/package.json': { name: 'no-such-package-for-lattice', type: 'module', exports: './index.js' },
      'node_modules/no-such-package-for-lattice/index.js': 'export default "padded";\n',
    });
    const later = new Date(Date.now() + 5000);
    await utimes(join(home, 'deploy', 'needy.js'), later, later);
    await lattice.waitForLine((l) => l.msg === 'deploy/needy.js deployed: needy');
    expect((await runLattice(['stop', '--home', home])).code).toBe(0);
  });
});
