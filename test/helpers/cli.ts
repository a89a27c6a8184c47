import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const LATTICE_BIN = fileURLToPath(new URL('../../bin/lattice.js', import.meta.url));
/** The repo's own distribution: its features file names the built example modules. */
export const REPO_FEATURES = fileURLToPath(new URL('../../features.json', import.meta.url));

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A `lattice` child process, its JSON log lines, and ways to wait on them. */
export interface LatticeProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[];
  readonly stderr: () => string;
  /** Resolves with the first log line (past or future) that satisfies `predicate`. */
  waitForLine(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  readonly exited: Promise<number | string>;
}

export function spawnLattice(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): LatticeProcess {
  const child = spawn(process.execPath, [LATTICE_BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const waiters: { predicate: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  let buffer = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const text = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { level: 30, msg: text };
      }
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
    });
  });
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    waitForLine(predicate, timeoutMs = 20_000) {
      const found = lines.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`no matching log line within ${timeoutMs} ms; got:\n${lines.map((l) => l.msg).join('\n')}\nstderr: ${stderr}`));
        }, timeoutMs);
        waiters.push({
          predicate,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`lattice exited before the expected log line; got:\n${lines.map((l) => l.msg).join('\n')}\nstderr: ${stderr}`));
        });
      });
    },
  };
}

/** Runs a `lattice` command to completion: its exit code and what it printed. */
export function runLattice(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LATTICE_BIN, ...args], {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`lattice ${args.join(' ')} did not finish within ${options.timeoutMs ?? 30_000} ms; stdout: ${stdout}; stderr: ${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? 'unknown', stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A `lattice` command on a pseudo-terminal (util-linux `script`): what it printed, and ways to wait. */
export interface LatticeTerminal {
  readonly child: ChildProcess;
  screen(): string;
  /** Resolves once `text` is on the screen. */
  seen(text: string, timeoutMs?: number): Promise<void>;
  /** Resolves with the command's exit code. */
  readonly exited: Promise<number | null>;
}

/** Runs `lattice ...args` on a terminal. `env` values that are undefined are removed from the environment. */
export function latticeInTerminal(args: readonly string[], env: Record<string, string | undefined> = {}): LatticeTerminal {
  const merged: Record<string, string | undefined> = { ...process.env, TERM: 'xterm', ...env };
  const environment = Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined));
  const quote = (word: string): string => `'${word.replace(/'/g, "'\\''")}'`;
  const child = spawn('script', ['-qfec', [process.execPath, LATTICE_BIN, ...args].map(quote).join(' '), '/dev/null'], { env: environment, stdio: ['pipe', 'pipe', 'pipe'] });
  let screen = '';
  const watchers = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    screen += chunk;
    for (const watcher of [...watchers]) watcher();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return {
    child,
    screen: () => screen,
    exited,
    seen: (text, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`did not see ${JSON.stringify(text)}; screen: ${JSON.stringify(screen)}`));
        }, timeoutMs);
        function check(): void {
          if (!screen.includes(text)) return;
          clearTimeout(timer);
          watchers.delete(check);
          resolve();
        }
        watchers.add(check);
        check();
      }),
  };
}
