/**
 * `npm run demo:cluster`: three containers on this machine forming a cluster (nodes a, b and c on
 * 127.0.0.1), each in a home of its own under a temporary folder. Their logs are shown prefixed with
 * the node id; Ctrl-C stops all three and removes the temporary folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePortsFrom } from './ports.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'lattice.js');
const IDS = ['a', 'b', 'c'];

/** `--base-port N` (or `npm run demo:cluster -- --base-port N`): the first port to try, default ONOS's 9876. */
function basePort(args: readonly string[]): number {
  const at = args.indexOf('--base-port');
  if (at < 0) return 9876;
  const port = Number(args[at + 1]);
  if (!Number.isInteger(port) || port < 1 || port > 65533) {
    process.stderr.write(`demo:cluster: --base-port needs a port number from 1 to 65533, not ${JSON.stringify(args[at + 1] ?? '')}\n`);
    process.exit(2);
  }
  return port;
}

const firstPort = basePort(process.argv.slice(2));
const base = await mkdtemp(join(tmpdir(), 'lattice-demo-'));
const ports = await freePortsFrom(firstPort, IDS.length);
const nodes = IDS.map((id, i) => ({ id, ip: '127.0.0.1', tcpPort: ports[i] as number }));
const children: ChildProcess[] = [];
// Before any node starts: a signal that comes while they start must stop them too.
let stopping = false;
/** Whether a signal came (a function: the loop below awaits, and a signal may come meanwhile). */
const stopped = (): boolean => stopping;
const stopAll = (): void => {
  if (stopping) process.exit(1);
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  // A node that has not stopped within 10 s (one signalled in the middle of starting, say) is not left behind.
  setTimeout(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, 10_000).unref();
};
process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);
// However this script ends, no node is left running on its own.
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
for (const id of IDS) {
  if (stopped()) break;
  const home = join(base, id);
  await mkdir(join(home, 'config'), { recursive: true });
  await writeFile(join(home, 'config', 'cluster.json'), `${JSON.stringify({ nodes, heartbeatMs: 500, failureTimeoutMs: 2000 }, null, 2)}\n`);
  // Detached: a process group of its own, so that a terminal's Ctrl-C (sent to the whole foreground group)
  // reaches this script alone, which stops each node with one signal; a second would make it exit at once.
  const child = spawn(process.execPath, [BIN, 'start', '--home', home, '--features-file', join(ROOT, 'features.json'), '--node-id', id], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  children.push(child);
  let buffer = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      let text = line;
      try {
        const entry = JSON.parse(line) as { msg?: string; component?: string };
        text = `${entry.component ? `${entry.component}: ` : ''}${entry.msg ?? ''}`;
      } catch {
        // not JSON: show it as it is
      }
      process.stdout.write(`[${id}] ${text}\n`);
    }
  });
}

process.stdout.write(
  [
    `Three nodes: ${nodes.map((n) => `${n.id} on ${n.ip}:${n.tcpPort}`).join(', ')}; homes under ${base}.`,
    'Try, in another terminal:',
    `  node ${BIN} cluster nodes --home ${join(base, 'a')}`,
    `  node ${BIN} cluster send b hello '"world"' --home ${join(base, 'a')}`,
    `  node ${BIN} stop --home ${join(base, 'c')}     (a and b see c go INACTIVE)`,
    'Ctrl-C stops all three (and removes their homes).',
    '',
  ].join('\n'),
);


await Promise.all(children.map((child) => new Promise((resolve) => child.on('exit', resolve))));
await rm(base, { recursive: true, force: true });
