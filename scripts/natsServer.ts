import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watch } from 'node:fs';

export interface NatsServer {
  readonly url: string;
  /** Where other servers route to it, when it was started with `--cluster`. */
  readonly clusterUrl: string | undefined;
  readonly process: ChildProcess;
  /** What it has logged so far (stderr). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * A real nats-server (the Debian package; .ci/run installs it) on a free loopback port (or `port`), with
 * `args` (e.g. `--auth TOKEN`), for the tests and the benchmark. Resolves once it listens (its ports file
 * is written). The tests that need it fail, not skip, without it.
 */
export async function startNatsServer(args: readonly string[] = [], port = -1): Promise<NatsServer> {
  const dir = await mkdtemp(join(tmpdir(), 'lattice-nats-'));
  const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '--ports_file_dir', dir, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const portsFile = join(dir, `nats-server_${child.pid ?? 0}.ports`);
  // The ports file may be seen half-written: it is read again on each change, and every 25 ms, until whole.
  const ports = await new Promise<{ url: string; clusterUrl: string | undefined }>((resolve, reject) => {
    let done = false;
    const finish = (error: Error | undefined, found?: { url: string; clusterUrl: string | undefined }): void => {
      if (done) return;
      done = true;
      watcher.close();
      clearInterval(poll);
      clearTimeout(deadline);
      if (error) {
        child.kill('SIGKILL');
        reject(error);
      } else resolve(found as { url: string; clusterUrl: string | undefined });
    };
    const check = (): void => {
      readFile(portsFile, 'utf8').then(
        (text) => {
          try {
            const written = JSON.parse(text) as { nats?: string[]; cluster?: string[] };
            const url = written.nats?.[0];
            if (url !== undefined) finish(undefined, { url, clusterUrl: written.cluster?.[0] });
          } catch {
            // not whole yet
          }
        },
        () => undefined,
      );
    };
    const watcher = watch(dir, check);
    const poll = setInterval(check, 25);
    const deadline = setTimeout(() => {
      finish(new Error(`nats-server did not listen within 10 s: ${stderr}`));
    }, 10_000);
    child.on('error', (error) => {
      finish(new Error(`nats-server did not start (${error.message}): install it (apt-get install nats-server); .ci/run does`));
    });
    child.on('exit', (code) => {
      finish(new Error(`nats-server exited (${code ?? 'signal'}): ${stderr}`));
    });
  });
  return {
    ...ports,
    process: child,
    output: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A cluster of `count` nats-servers on loopback, routed to the first (`--routes`; the servers tell each
 * other of the rest), each with `args`. Resolves once every server has a route to every other: only then
 * does interest in a subject on one reach the others.
 */
export async function startNatsCluster(count: number, args: readonly string[] = []): Promise<NatsServer[]> {
  const clusterArgs = ['--cluster', 'nats://127.0.0.1:-1', '--cluster_name', 'lattice-test', ...args];
  const first = await startNatsServer(clusterArgs);
  const servers = [first];
  try {
    for (let i = 1; i < count; i++) servers.push(await startNatsServer([...clusterArgs, '--routes', first.clusterUrl as string]));
    await Promise.all(servers.map((server) => routed(server, count - 1)));
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()));
    throw error;
  }
  return servers;
}

/**
 * Resolves once the server has logged `routes` route connections (at INF, on stderr): one per other
 * server with nats-server 2.9 (Debian's); from 2.10 a route is a pool of connections, and this count
 * would resolve early.
 */
function routed(server: NatsServer, routes: number): Promise<void> {
  const count = (): number => server.output().split('Route connection created').length - 1;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (count() < routes) return;
      clearTimeout(timer);
      server.process.stderr?.off('data', check);
      resolve();
    };
    const timer = setTimeout(() => {
      server.process.stderr?.off('data', check);
      reject(new Error(`nats-server ${server.url} made ${count()} of ${routes} routes within 10 s`));
    }, 10_000);
    // After the helper's own listener, so the output counted includes this chunk.
    server.process.stderr?.on('data', check);
    check();
  });
}
