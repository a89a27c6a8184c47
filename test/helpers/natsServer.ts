import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watch } from 'node:fs';

export interface NatsServer {
  readonly url: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * A real nats-server (the Debian package; .ci/run installs it) on a free loopback port (or `port`), with `args`
 * (e.g. `--auth TOKEN`). Resolves once it listens (its ports file is written). The tests that need it
 * fail, not skip, without it.
 */
export async function startNatsServer(args: readonly string[] = [], port = -1): Promise<NatsServer> {
  const dir = await mkdtemp(join(tmpdir(), 'lattice-nats-'));
  const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '--ports_file_dir', dir, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const portsFile = join(dir, `nats-server_${child.pid ?? 0}.ports`);
  // The ports file may be seen half-written: it is read again on each change, and every 25 ms, until whole.
  const url = await new Promise<string>((resolve, reject) => {
    let done = false;
    const finish = (error: Error | undefined, found?: string): void => {
      if (done) return;
      done = true;
      watcher.close();
      clearInterval(poll);
      clearTimeout(deadline);
      if (error) {
        child.kill('SIGKILL');
        reject(error);
      } else resolve(found as string);
    };
    const check = (): void => {
      readFile(portsFile, 'utf8').then(
        (text) => {
          try {
            const found = (JSON.parse(text) as { nats?: string[] }).nats?.[0];
            if (found !== undefined) finish(undefined, found);
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
    url,
    process: child,
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
