import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './stats.js';
import { ms, printTable, ratio } from './table.js';
import { freePortsFrom } from '../scripts/ports.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'lattice.js');
const RUNS = 15;

/** Wall time of a process from spawn to exit. */
function timeProcess(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(performance.now() - started);
      else reject(new Error(`node ${args.join(' ')} exited ${String(code)}`));
    });
  });
}

/** Wall time from spawning `lattice start` to its "container started" line; leaves it running. */
function timeStart(home: string): Promise<{ ms: number; stop: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, 'start', '--home', home, '--features-file', join(ROOT, 'features.json'), '--log-level', 'info'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let buffer = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.includes('"container started"')) {
        const elapsed = performance.now() - started;
        child.stdout.removeAllListeners('data');
        child.stdout.resume();
        resolve({
          ms: elapsed,
          stop: () =>
            new Promise((done) => {
              child.once('exit', () => {
                done();
              });
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.on('exit', (code) => {
      reject(new Error(`lattice start exited ${String(code)} before it was ready`));
    });
  });
}

/** `lattice start` to ready, and a `lattice status` round trip, beside bare Node and bare imports. */
export async function benchCli(): Promise<void> {
  const nodeAlone: number[] = [];
  const imports: number[] = [];
  const starts: number[] = [];
  const statuses: number[] = [];
  const home = await mkdtemp(join(tmpdir(), 'lattice-bench-cli-'));
  // The distribution's cluster node listens on 9876 by default; give it a port of its own.
  await mkdir(join(home, 'config'));
  await writeFile(join(home, 'config', 'cluster.json'), JSON.stringify({ nodes: [{ id: 'bench', ip: '127.0.0.1', tcpPort: (await freePortsFrom(9876, 1))[0] }] }));
  try {
    for (let i = 0; i < RUNS; i++) {
      nodeAlone.push(await timeProcess(['-e', '0']));
      imports.push(await timeProcess(['--input-type=module', '-e', "await import('inversify'); await import('pino'); await import('chokidar');"]));
      const running = await timeStart(home);
      starts.push(running.ms);
      statuses.push(await timeProcess([BIN, 'status', '--home', home]));
      await running.stop();
    }
  } finally {
    await rm(home, { recursive: true, force: true });
  }
  const base = median(nodeAlone);
  printTable(`The lattice command (median of ${RUNS} runs, the repo's distribution)`, ['what', 'time', 'vs node -e 0'], [
    ['node -e 0', ms(base), '1.00x'],
    ['import inversify + pino + chokidar', ms(median(imports)), ratio(median(imports), base)],
    ['lattice start → all boot components active', ms(median(starts)), ratio(median(starts), base)],
    ['lattice status (round trip to a running container)', ms(median(statuses)), ratio(median(statuses), base)],
  ]);
}
