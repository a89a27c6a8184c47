import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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

/** A health check whose answer is its configuration (`config set disk-check up=false detail=...`). */
const CHECK = `import { Component, HealthCheckService, Modified, Activate } from '@lattice-scr/lattice';
export class DiskCheck {
  activate(context) { this.config = context.config; }
  modified(config) { this.config = config; }
  check() { return this.config.up === false ? { status: 'down', detail: String(this.config.detail ?? 'down') } : { status: 'up' }; }
}
Activate(DiskCheck.prototype, 'activate');
Modified(DiskCheck.prototype, 'modified');
Component({ name: 'disk-check', service: HealthCheckService, properties: { 'health.name': 'disk' } })(DiskCheck);
export class App {}
Component({ name: 'app' })(App);
`;

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => {
        const type = res.headers['content-type'] ?? '';
        resolve({ status: res.statusCode ?? 0, body: type.startsWith('application/json') ? (JSON.parse(text) as unknown) : undefined, type, text });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Asks again until `done` holds (within 10 s): for answers that may lag a little, never a fixed sleep. */
async function until<T>(ask: () => Promise<T>, done: (answer: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const answer = await ask();
    if (done(answer) || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The status code of a request written by hand (one that an HTTP client would refuse to send). */
function rawStatus(port: number, text: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let answer = '';
    socket.setEncoding('utf8').on('data', (c: string) => (answer += c));
    socket.on('end', () => {
      resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(answer)?.[1]));
    });
    socket.on('error', reject);
  });
}

describe('health and readiness from outside', () => {
  test('/health/live and /health/ready need no token, on the control port and on --health-port; lattice health says why and exits 1 when not ready', async () => {
    const home = await homes.make();
    await writeFiles(home, {
      'features.json': { features: [{ name: 'app', version: '1.0.0', components: ['modules/app.js'] }], boot: ['app'] },
      'modules/app.js': CHECK,
    });
    // --ready names what counts: app disabled by hand then keeps it from being ready (by default, a
    // disabled component does not count).
    const lattice = spawnLattice(['start', '--home', home, '--health-port', '0', '--ready', 'app,disk-check']);
    running.push(lattice);
    const probes = await lattice.waitForLine((l) => typeof l.msg === 'string' && l.msg.startsWith('health probes on 127.0.0.1:'));
    const started = await lattice.waitForLine((l) => l.msg === 'container started');
    const healthPort = probes.port as number;
    const controlPort = started.port as number;
    const cli = (...args: string[]) => runLattice([...args, '--home', home]);

    for (const port of [controlPort, healthPort]) {
      expect((await get(port, '/health/live')).body).toEqual({ status: 'up' });
      const ready = await get(port, '/health/ready', { host: 'example.com' });
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'ready', features: { notInstalled: 0 }, components: { counted: 2, notReady: 0 }, checks: { up: 1, down: 0 } });
    }
    // Everything else keeps the token; the health port serves nothing else.
    expect((await get(controlPort, '/v1/status')).status).toBe(401);
    expect((await get(healthPort, '/v1/status')).status).toBe(404);

    // The start, as a tree: the boot install, its module, its components (the check is delayed: satisfied).
    const timing = await cli('status', '--timing');
    expect(timing.stdout).toMatch(
      /\nTiming:\n {2}ready \d+ ms after the process started, \d+ ms after the container began to start\n {2}└─ app@1\.0\.0 \(boot, [\dT:.Z-]+\) [\d.]+ ms\n {5}├─ import modules\/app\.js [\d.]+ ms\n {5}├─ app activated in [\d.]+ ms\n {5}└─ disk-check satisfied\n$/,
    );
    const ok = await cli('health');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^Ready: {6}yes\nComponents: 2 counted, 2 active or satisfied\nChecks:\n {2}NAME +STATUS +TIME +DETAIL *\n {2}disk +up +[\d.]+ ms *\n$/);

    expect((await cli('config', 'set', 'disk-check', 'up=false', 'detail="disk 95% full"')).code).toBe(0);
    const down = await cli('health');
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/ {2}disk +down +[\d.]+ ms +disk 95% full/);
    // Probes may get an answer up to a second old: wait for the new one. Counts only, never the detail.
    const notReady = await until(() => get(healthPort, '/health/ready'), (r) => r.status === 503);
    expect(notReady.body).toEqual({ status: 'not-ready', features: { notInstalled: 0 }, components: { counted: 2, notReady: 0 }, checks: { up: 0, down: 1 } });
    expect(notReady.text).not.toContain('95%');
    // A request a probe cannot even parse goes to the token check (and is no probe on the health port).
    expect(await rawStatus(controlPort, 'GET //[ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')).toBe(401);
    expect(await rawStatus(healthPort, 'GET //[ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')).toBe(404);

    await cli('config', 'set', 'disk-check', 'up=true');
    await cli('component', 'disable', 'app');
    const json = JSON.parse((await cli('health', '--json')).stdout) as { ready: boolean; components: { notReady: { name: string; why: string }[] } };
    expect(json).toMatchObject({ ready: false, components: { notReady: [{ name: 'app', why: 'app is disabled; enable it to activate it.' }] } });

    expect((await cli('stop')).code).toBe(0);
    expect(await lattice.exited).toBe(0);
    expect((await cli('health')).code).toBe(3);
    const usage = await runLattice(['start', '--home', home, '--health-host', '0.0.0.0']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--health-host needs --health-port');
  });

  test('GET /metrics: Prometheus text with the token (401 without); --no-metrics turns it off', async () => {
    const home = await homes.make();
    await writeFiles(home, {
      'features.json': { features: [{ name: 'app', version: '1.0.0', components: ['modules/app.js'] }], boot: ['app'] },
      'modules/app.js': CHECK,
    });
    const lattice = spawnLattice(['start', '--home', home]);
    running.push(lattice);
    const started = await lattice.waitForLine((l) => l.msg === 'container started');
    const port = started.port as number;
    const { token } = JSON.parse(await readFile(join(home, 'data', 'control.json'), 'utf8')) as { token: string };
    expect((await get(port, '/metrics')).status).toBe(401);
    const metrics = await get(port, '/metrics', { authorization: `Bearer ${token}` });
    expect(metrics.status).toBe(200);
    expect(metrics.type).toMatch(/^text\/plain; version=0\.0\.4/);
    // app is active; disk-check, a delayed component nobody has used yet, satisfied.
    expect(metrics.text).toMatch(/^lattice_components\{state="active"\} 1$/m);
    expect(metrics.text).toMatch(/^lattice_components\{state="satisfied"\} 1$/m);
    expect(metrics.text).toMatch(/^lattice_feature_installs_total 1$/m);
    expect(metrics.text).toMatch(/^lattice_component_activation_seconds_count 1$/m);
    expect(metrics.text).toMatch(/^process_resident_memory_bytes \d+$/m);
    expect((await runLattice(['stop', '--home', home])).code).toBe(0);
    await lattice.exited;

    const without = spawnLattice(['start', '--home', home, '--no-metrics']);
    running.push(without);
    const again = await without.waitForLine((l) => l.msg === 'container started');
    const { token: token2 } = JSON.parse(await readFile(join(home, 'data', 'control.json'), 'utf8')) as { token: string };
    expect(await get(again.port as number, '/metrics', { authorization: `Bearer ${token2}` })).toMatchObject({ status: 404, body: { ok: false, error: { code: 'METRICS_OFF' } } });
    expect((await runLattice(['stop', '--home', home])).code).toBe(0);
  });
});

describe('OpenTelemetry from lattice start', () => {
  test('with an SDK set up by node --import, the boot install and what it did are spans of the registered provider', async () => {
    const home = await homes.make();
    const require = createRequire(import.meta.url);
    const api = pathToFileURL(require.resolve('@opentelemetry/api')).href;
    const sdk = pathToFileURL(require.resolve('@opentelemetry/sdk-trace-base')).href;
    const spansFile = join(home, 'spans.jsonl');
    await writeFiles(home, {
      'features.json': { features: [{ name: 'app', version: '1.0.0', components: ['modules/app.js'] }], boot: ['app'] },
      'modules/app.js': CHECK,
      // What an app's tracing setup does: a provider, registered globally, exporting somewhere (here a file).
      'otel.mjs': `import { trace } from ${JSON.stringify(api)};
import sdk from ${JSON.stringify(sdk)};
import { appendFileSync } from 'node:fs';
const exporter = {
  export(spans, done) {
    for (const s of spans) appendFileSync(${JSON.stringify(spansFile)}, JSON.stringify({ name: s.name, attributes: s.attributes }) + '\\n');
    done({ code: 0 });
  },
  shutdown: () => Promise.resolve(),
};
trace.setGlobalTracerProvider(new sdk.BasicTracerProvider({ spanProcessors: [new sdk.SimpleSpanProcessor(exporter)] }));
`,
    });
    const lattice = spawnLattice(['start', '--home', home], { env: { ...process.env, NODE_OPTIONS: `--import ${pathToFileURL(join(home, 'otel.mjs')).href}` } });
    running.push(lattice);
    await lattice.waitForLine((l) => l.msg === 'container started');
    const spans = (await readFile(spansFile, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { name: string; attributes: Record<string, unknown> });
    expect(spans.map((s) => s.name).sort()).toEqual(['lattice component activate', 'lattice feature install', 'lattice module import']);
    expect(spans.find((s) => s.name === 'lattice feature install')?.attributes).toEqual({ 'lattice.features': ['app@1.0.0'], 'lattice.install.reason': 'boot' });
    expect(spans.find((s) => s.name === 'lattice component activate')?.attributes).toEqual({ 'lattice.component': 'app', 'lattice.component.after': [] });
    expect((await runLattice(['stop', '--home', home])).code).toBe(0);
  });
});
