import { chmod, readFile, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { httpRequest } from '../helpers/http.js';
import { afterAll, afterEach, beforeAll, describe, expect, onTestFailed, test } from 'vitest';
import { launchChromium, SCREENSHOTS } from '../helpers/browser.js';
import { runLattice, spawnLattice, type LatticeProcess } from '../helpers/cli.js';
import { componentModule, writeFiles } from '../helpers/distribution.js';
import { tempHomes } from '../helpers/tempHome.js';

const running: LatticeProcess[] = [];
const homes = tempHomes();
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser.close();
});
afterEach(async () => {
  for (const p of running.splice(0)) p.child.kill('SIGKILL');
  await homes.cleanup();
});

/** A server whose schema wants a positive port, and whose password is a secret (by its name). */
const SERVER = `import { Activate, Component, Modified } from '@lattice-scr/lattice';
const schema = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (value) => (typeof value.port === 'number' && value.port > 0 ? { value } : { issues: [{ message: 'port must be a positive number', path: ['port'] }] }),
  },
};
export class Server {
  activate() {}
  modified() {}
}
Activate(Server.prototype, 'activate');
Modified(Server.prototype, 'modified');
Component({ name: 'server', immediate: true, configSchema: schema })(Server);
`;

/** A contributed command: `shop echo WORD [--upper]`. */
const ECHO = `import { CommandService, Component } from '@lattice-scr/lattice';
export class Echo {
  scope = 'shop';
  name = 'echo';
  description = 'says the word again';
  arguments = [{ name: 'word', required: true }];
  options = [{ flags: '--upper', description: 'in capitals' }];
  run([word], options) { return options.upper ? word.toUpperCase() : word; }
}
Component({ name: 'shop.command.echo', service: CommandService })(Echo);
`;

/** A running container with a store, the app that needs it, a server with a schema, and a feature not installed. */
async function startConsoleHome(): Promise<{ home: string; port: number; cli: (...args: string[]) => ReturnType<typeof runLattice> }> {
  const home = await homes.make();
  await writeFiles(home, {
    'features.json': {
      features: [
        { name: 'shop', version: '1.0.0', description: 'the store and its app', components: ['modules/store.js', 'modules/app.js', 'modules/server.js', 'modules/echo.js'] },
        { name: 'extra', version: '2.0.0', description: 'installed from the console', components: ['modules/extra.js'] },
      ],
      boot: ['shop'],
    },
    'modules/store.js': componentModule({ name: 'store', provides: 'test.Store' }),
    'modules/app.js': componentModule({ name: 'app', needs: ['test.Store'] }).replace("Component({ name: \"app\"", "Component({ immediate: true, name: \"app\""),
    'modules/server.js': SERVER,
    'modules/echo.js': ECHO,
    // Its import waits for a file, so that an install of it can be watched under way.
    'modules/extra.js': `import { existsSync } from 'node:fs';
while (!existsSync(new URL('../extra.gate', import.meta.url))) await new Promise((resolve) => setTimeout(resolve, 20));
${componentModule({ name: 'extra', provides: 'test.Extra' })}`,
    'config/server.json': { port: 8080, password: 's3cret-in-file' },
  });
  const lattice = spawnLattice(['start', '--home', home]);
  running.push(lattice);
  const started = await lattice.waitForLine((l) => l.msg === 'container started');
  return { home, port: started.port as number, cli: (...args: string[]) => runLattice([...args, '--home', home]) };
}

async function loginLink(cli: (...args: string[]) => ReturnType<typeof runLattice>): Promise<string> {
  const answer = await cli('console', '--json');
  expect(answer.code).toBe(0);
  return (JSON.parse(answer.stdout) as { url: string }).url;
}

/** A request without a browser: status and body. */
function raw(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; text: string }> {
  return httpRequest({ port, method, path, headers, ...(body !== undefined && { body }) });
}

/** A new page (in a context of its own); if the test fails, its screenshot is saved as failed-<n>.png. */
async function openPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  onTestFailed(async () => {
    if (!page.isClosed()) await page.screenshot({ path: join(SCREENSHOTS, `failed-${Date.now()}.png`), fullPage: true });
  });
  return page;
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** The row of a table whose first cell is `name`. */
const rowOf = (page: Page, name: string) => page.locator('tr', { has: page.locator('td:first-child', { hasText: new RegExp(`^${name}$`) }) });

describe('the web console, in a real browser', { timeout: 90_000 }, () => {
  test('a one-time link logs in; the overview and each page show; a component goes unsatisfied live when its provider is disabled from the CLI', async () => {
    const { port, cli } = await startConsoleHome();
    const page = await openPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().includes('status of 4')) problems.push(message.text());
    });

    // Before logging in, the page says how to.
    await page.goto(`http://127.0.0.1:${port}/console/`);
    await page.getByText('and open the link it prints', { exact: false }).waitFor();

    const link = await loginLink(cli);
    await page.goto(link);
    expect(page.url()).toBe(`http://127.0.0.1:${port}/console/`);
    await page.locator('.live.live').waitFor();
    await page.locator('.card', { hasText: 'components' }).getByText('4').waitFor();
    await shoot(page, 'overview');
    // The cookie is HttpOnly and SameSite=Strict, per port.
    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({ name: `lattice_console_${port}`, httpOnly: true, sameSite: 'Strict', path: '/console' });
    // The link worked once.
    const again = await browser.newPage();
    const second = await again.goto(link);
    expect(second?.status()).toBe(401);
    await again.getByText('This login link is used or expired').waitFor();
    await again.close();

    await page.goto(`http://127.0.0.1:${port}/console/#/components`);
    await rowOf(page, 'app').locator('[data-state="active"]').waitFor();
    await shoot(page, 'components');
    // Disabled from the command line: the page follows without a reload.
    expect((await cli('component', 'disable', 'store')).code).toBe(0);
    await rowOf(page, 'app').locator('[data-state="unsatisfied-reference"]').waitFor();
    await expect(rowOf(page, 'app').textContent()).resolves.toContain('test.Store');
    await rowOf(page, 'store').locator('[data-state="disabled"]').waitFor();

    // The component's own page: why, and enable from there.
    await page.goto(`http://127.0.0.1:${port}/console/#/components/store`);
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.locator('.state-line [data-state="active"]').waitFor();
    await page.goto(`http://127.0.0.1:${port}/console/#/components/app`);
    await page.locator('.state-line [data-state="active"]').waitFor();
    await page.getByRole('link', { name: 'store' }).first().waitFor();
    await shoot(page, 'component');

    for (const [hash, text] of [
      ['graph', 'component graph'],
      ['health', 'Ready'],
      ['logs', 'container started'],
      ['cluster', 'No cluster here'],
    ] as const) {
      await page.goto(`http://127.0.0.1:${port}/console/#/${hash}`);
      if (hash === 'graph') await page.getByRole('img', { name: text }).waitFor();
      else await page.getByText(text).first().waitFor();
      await shoot(page, hash);
    }
    // A contributed command, with its option; what the command line refuses is refused here too.
    const listed: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/console/api/v1/commands')) listed.push(request.method());
    });
    await page.goto(`http://127.0.0.1:${port}/console/#/commands`);
    const args = page.getByRole('textbox', { name: 'Arguments of shop echo' });
    await args.fill('"hello there" --upper');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByText('HELLO THERE').waitFor();
    await shoot(page, 'commands');
    await args.fill('one two');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByRole('alert').getByText('shop echo: too many arguments (it takes word).').waitFor();
    await args.fill('one --loud');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByRole('alert').getByText('shop echo: unknown option --loud; it takes --upper.').waitFor();
    // Listed once: running a command activates it (an event), which must not list them again, and again.
    expect(listed).toEqual(['GET']);

    expect(problems).toEqual([]);
    await page.close();
  });

  test('a feature installed from the console shows its progress; a configuration edit with a schema error is refused, a good one saved with its secret kept', async () => {
    const { home, port, cli } = await startConsoleHome();
    const page = await openPage();
    await page.goto(await loginLink(cli));
    await page.goto(`http://127.0.0.1:${port}/console/#/features`);
    // Under way: the module is being imported (it waits for the gate).
    await rowOf(page, 'extra').getByRole('button', { name: 'Dry run' }).click();
    await page.getByText('Dry run of the install of extra…').waitFor();
    await page.locator('.progress ol li', { hasText: 'importing modules/extra.js' }).waitFor();
    await shoot(page, 'features-progress');
    await writeFiles(home, { 'extra.gate': '' });
    await page.getByText('Would install extra@2.0.0').waitFor();
    await rowOf(page, 'extra').getByRole('button', { name: 'Install' }).click();
    await page.getByText('Installed extra@2.0.0').waitFor();
    await expect(page.locator('.progress ol').textContent()).resolves.toContain('importing modules/extra.js');
    await page.locator('.progress').locator('[data-state="active"]').waitFor();
    await shoot(page, 'features');
    expect((await cli('feature', 'list', '--installed', '--json')).stdout).toContain('"extra"');

    await page.goto(`http://127.0.0.1:${port}/console/#/config/server`);
    const editor = page.locator('#config-text');
    await expect.poll(() => editor.inputValue()).toContain('••••');
    expect(await editor.inputValue()).not.toContain('s3cret');
    const file = join(home, 'config', 'server.json');
    const before = await readFile(file, 'utf8');
    await editor.fill(JSON.stringify({ port: 'eighty', password: '••••' }));
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').getByText('port must be a positive number').waitFor();
    await shoot(page, 'config');
    expect(await readFile(file, 'utf8')).toBe(before);

    await editor.fill(JSON.stringify({ port: 9090, password: '••••' }));
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').getByText('Saved server.').waitFor();
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ port: 9090, password: 's3cret-in-file' });

    // Changed from the command line while being edited here: the page says so, and the save is refused.
    await editor.fill(JSON.stringify({ port: 9191, password: '••••' }));
    expect((await cli('config', 'set', 'server', 'port=7070', 'note=from-the-cli')).code).toBe(0);
    await page.getByText('server has changed since you began editing').waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').getByText(/Configuration server has changed since it was read/).waitFor();
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ port: 7070, password: 's3cret-in-file', note: 'from-the-cli' });
    await page.getByRole('button', { name: 'Discard changes' }).click();
    await expect.poll(() => editor.inputValue()).toContain('from-the-cli');
    // A file edit that cannot be applied (it does not parse) is a change too: the save would undo it.
    await editor.fill(JSON.stringify({ port: 9292, password: '••••', note: 'from-the-cli' }));
    await writeFile(file, '{ "port": 7070, ');
    await page.getByText('server has changed since you began editing').waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').getByText(/Configuration server has changed since it was read/).waitFor();
    expect(await readFile(file, 'utf8')).toBe('{ "port": 7070, ');
    await page.close();
  });

  test('the console API refuses a request without the session cookie, with a foreign Origin or a foreign Host; the page is served with a strict CSP', async () => {
    const { port, cli } = await startConsoleHome();
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(await loginLink(cli));
    const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const base = `http://127.0.0.1:${port}`;

    // No cookie: refused, and told how to log in.
    const noCookie = await raw(port, 'GET', '/console/api/v1/status');
    expect(noCookie.status).toBe(401);
    expect(noCookie.text).toContain('lattice console');
    expect((await raw(port, 'GET', '/console/api/events')).status).toBe(401);
    // With the cookie, reading works; a change needs this console's own Origin.
    expect((await raw(port, 'GET', '/console/api/v1/status', { cookie })).status).toBe(200);
    const foreign = await raw(port, 'POST', '/console/api/v1/components/store/disable', { cookie, origin: 'http://evil.example', 'content-type': 'application/json' }, '{}');
    expect(foreign.status).toBe(403);
    expect(foreign.text).toContain('FORBIDDEN_ORIGIN');
    const noOrigin = await raw(port, 'POST', '/console/api/v1/components/store/disable', { cookie, 'content-type': 'application/json' }, '{}');
    expect(noOrigin.status).toBe(403);
    expect((await cli('component', 'info', 'store', '--json')).stdout).toContain('"state": "active"');
    const own = await raw(port, 'POST', '/console/api/v1/components/store/disable', { cookie, origin: base, 'content-type': 'application/json' }, '{}');
    expect(own.status).toBe(200);
    // DNS rebinding: a foreign Host is refused even with the cookie.
    expect((await raw(port, 'GET', '/console/api/v1/status', { cookie, host: `evil.example:${port}` })).status).toBe(403);
    expect((await raw(port, 'GET', '/console/', { host: 'evil.example' })).status).toBe(403);

    // From a page of another local app (another port: the same site, so the browser sends the cookie),
    // a change is refused for its Origin.
    const app = createServer((_request, response) => response.end('<!doctype html><title>another app</title>'));
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    try {
      const other = await context.newPage();
      await other.goto(`http://127.0.0.1:${(app.address() as AddressInfo).port}/`);
      // (The answer is not given to the page either: Cross-Origin-Resource-Policy makes it a network error.)
      await other.evaluate(async (url) => {
        await fetch(url, { method: 'POST', credentials: 'include', body: '{}', mode: 'no-cors' }).catch(() => undefined);
      }, `${base}/console/api/v1/components/store/enable`);
    } finally {
      await new Promise((resolve) => app.close(resolve));
    }
    expect((await cli('component', 'info', 'store', '--json')).stdout).toContain('"state": "disabled"');

    // The page: no inline code allowed, no framing.
    const index = await page.goto(`${base}/console/`);
    expect(index?.headers()['content-security-policy']).toContain("default-src 'self'");
    expect(index?.headers()['x-frame-options']).toBe('DENY');
    // Names that are not the console's files are 404s with the same headers, whatever they look like.
    for (const path of ['/console/vendor/constructor', '/console/vendor/__proto__', '/console/nothing.js', '/console/a/../../v1/status']) {
      expect((await raw(port, 'GET', path)).status, path).not.toBe(200);
      expect((await raw(port, 'GET', path)).status, path).toBeLessThan(500);
    }
    const found = await httpRequest({ port, path: '/console/nothing.js' });
    const missing = { status: found.status, csp: found.headers['content-security-policy'] };
    expect(missing).toEqual({ status: 404, csp: expect.stringContaining("default-src 'self'") as string });
    expect((await raw(port, 'GET', '/console/api/v1/logs?after=abc', { cookie })).status).toBe(400);

    // Logging out ends the session, and the event streams open in it.
    const stream = await new Promise<{ ended: Promise<void> }>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/console/api/events', headers: { cookie } }, (res) => {
        const ended = new Promise<void>((done) => res.on('end', done).on('close', done));
        res.once('data', () => {
          resolve({ ended });
        });
      })
        .on('error', reject)
        .end();
    });
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByText('You are not logged in').waitFor();
    await stream.ended;
    expect((await raw(port, 'GET', '/console/api/v1/status', { cookie })).status).toBe(401);
    await context.close();
  });

  test('--no-console: /console/ is a 404, lattice console says the console is off, no log lines are kept', async () => {
    const home = await homes.make();
    const lattice = spawnLattice(['start', '--home', home, '--no-console']);
    running.push(lattice);
    const started = await lattice.waitForLine((l) => l.msg === 'container started');
    const port = started.port as number;
    const page = await raw(port, 'GET', '/console/');
    expect(page.status).toBe(404);
    expect(page.text).toContain('CONSOLE_OFF');
    const link = await runLattice(['console', '--home', home]);
    expect(link.code).toBe(1);
    expect(link.stderr).toContain('The web console is off: this container was started with --no-console.');
    const { token } = JSON.parse(await readFile(join(home, 'data', 'control.json'), 'utf8')) as { token: string };
    expect((await raw(port, 'GET', '/v1/logs', { authorization: `Bearer ${token}` })).status).toBe(404);
  });

  test('lattice console --open runs the desktop opener with the link, and says whether it opened it', async () => {
    const { home, port, cli } = await startConsoleHome();
    // The desktop's opener (xdg-open on Linux), stood in for by a script that records the link.
    const bin = join(home, 'bin');
    const opened = join(home, 'opened.txt');
    await writeFiles(home, { 'bin/xdg-open': `#!/bin/sh\necho "$1" > ${JSON.stringify(opened)}\nexit \${OPENER_EXIT:-0}\n` });
    await chmod(join(bin, 'xdg-open'), 0o755);
    const path = `${bin}:${process.env.PATH ?? ''}`;
    const ok = await runLattice(['console', '--open', '--home', home], { env: { PATH: path } });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('(opened in the default browser: the link is now used)');
    const link = (await readFile(opened, 'utf8')).trim();
    expect(link).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/console/login\\?code=[\\w-]+$`));
    expect(ok.stdout).toContain(link);
    const failed = await runLattice(['console', '--open', '--json', '--home', home], { env: { PATH: path, OPENER_EXIT: '3' } });
    expect(JSON.parse(failed.stdout)).toMatchObject({ opened: false });
    expect((await cli('console')).stdout).not.toContain('opened');
  });
});
