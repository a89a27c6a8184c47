import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const execFileAsync = promisify(execFile);
/** Runs a command to its end (two minutes at most). */
const run = (file: string, args: readonly string[], options: { cwd: string }) => execFileAsync(file, args, { ...options, timeout: 120_000 });
const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** Installs come from the npm cache that the project's own install filled: no network needed. */
const OFFLINE = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

let work: string;
let tarball: string;

beforeAll(async () => {
  // Outside the repo, as a user's folder is.
  work = await mkdtemp(join(tmpdir(), 'lattice-own-app-'));
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], { cwd: REPO });
  tarball = join(work, stdout.trim().split('\n').pop() as string);
  await run('npm', ['init', '-y'], { cwd: work });
  await run('npm', ['install', ...OFFLINE, tarball], { cwd: work });
}, 180_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** `npm start` in `dir`, its JSON log lines, and a way to wait for one. */
function startApp(dir: string): { child: ChildProcess; exited: Promise<number | null>; waitFor: (match: (msg: string) => boolean, timeoutMs?: number) => Promise<void>; output: () => string } {
  const child = spawn('npm', ['start'], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let output = '';
  const waiters = new Set<() => void>();
  const collect = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    for (const waiter of [...waiters]) waiter();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const messages = (): string[] =>
    output.split('\n').flatMap((line) => {
      try {
        return [(JSON.parse(line) as { msg: string }).msg];
      } catch {
        return [];
      }
    });
  return {
    child,
    exited,
    output: () => output,
    waitFor: (match, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!messages().some(match)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no such log line within ${timeoutMs} ms; output:\n${output}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}

describe('your own app, as the README says: a packed Lattice installed into a folder outside the repo', () => {
  test('lattice init → npm install → npm test → npm start → feature install → a drop-in module → a config edit → lattice stop', async () => {
    const lattice = join(work, 'node_modules', '.bin', 'lattice');
    const init = await run(lattice, ['init', 'my-app'], { cwd: work });
    expect(init.stdout).toContain('cd my-app && npm install && npm start');
    const app = join(work, 'my-app');
    // Installed from the tarball, as `npm install` would from the registry.
    await run('npm', ['install', ...OFFLINE, tarball], { cwd: app });
    const tested = await run('npm', ['test'], { cwd: app });
    expect(tested.stdout).toMatch(/# pass 1\n# fail 0/);

    const started = startApp(app);
    try {
      await started.waitFor((msg) => msg === 'container started', 90_000);
      await started.waitFor((msg) => /^Hello, world! It is \d\d:\d\d UTC\.$/.test(msg));
      const npx = (...args: string[]) => run('npx', ['lattice', ...args], { cwd: app });

      const installed = await npx('feature', 'install', 'onos-api');
      expect(installed.stdout).toContain('host-store active');

      await writeFile(
        join(app, 'deploy', 'hello.js'),
        `import { Activate, Component } from '@lattice-scr/lattice';
export class Hello {
  activate(context) { context.logger.info('hello from deploy/'); }
}
Activate(Hello.prototype, 'activate');
Component({ name: 'hello' })(Hello);
`,
      );
      await started.waitFor((msg) => msg === 'hello from deploy/');

      await writeFile(join(app, 'config', 'greeter.json'), JSON.stringify({ greeting: 'Hello', name: 'Ada' }));
      await started.waitFor((msg) => /^reconfigured: Hello, Ada!/.test(msg));

      const status = await npx('status');
      expect(status.stdout).toMatch(/Features: {3}my-app 0\.1\.0, onos-api 1\.0\.0\nComponents: 5 \(\d active/);
      expect((await npx('stop')).stdout).toContain('Stopped the container');
      expect(await started.exited).toBe(0);
    } finally {
      if (started.child.exitCode === null && started.child.pid !== undefined) process.kill(-started.child.pid, 'SIGKILL');
    }
  }, 240_000);

  test('lattice init --js: plain JavaScript, no build; its test passes', async () => {
    const lattice = join(work, 'node_modules', '.bin', 'lattice');
    await run(lattice, ['init', 'js-app', '--js'], { cwd: work });
    const app = join(work, 'js-app');
    expect(JSON.parse(await readFile(join(app, 'features.json'), 'utf8'))).toMatchObject({ features: [{ name: 'js-app', components: ['src/index.js'] }] });
    await run('npm', ['install', ...OFFLINE, tarball], { cwd: app });
    const tested = await run('npm', ['test'], { cwd: app });
    expect(tested.stdout).toMatch(/# pass 1\n# fail 0/);
    // A folder that is not empty is refused, unless --force.
    const refused = await run(lattice, ['init', 'js-app'], { cwd: work }).then(() => undefined, (e: unknown) => e as { code: number; stderr: string });
    expect(refused?.code).toBe(1);
    expect(refused?.stderr).toContain('is not empty');
    await run(lattice, ['init', 'js-app', '--js', '--force'], { cwd: work });
  }, 180_000);
});
