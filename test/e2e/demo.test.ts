import { spawn } from 'node:child_process';
import { readFile, rm, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { runLattice } from '../helpers/cli.js';

const DEMO = fileURLToPath(new URL('../../dist/scripts/demoCluster.js', import.meta.url));

describe('npm run demo:cluster', () => {
  test('three nodes find each other; a command from the printed hints works; Ctrl-C stops them all and removes their homes', async () => {
    // A process group of its own: if the test fails, the demo's three nodes are killed with it.
    const demo = spawn(process.execPath, [DEMO], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const seen = (pattern: RegExp): Promise<RegExpMatchArray> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`not seen within 30 s: ${pattern}; output:\n${output}`));
        }, 30_000);
        const check = (): void => {
          const match = pattern.exec(output);
          if (!match) return;
          clearTimeout(timer);
          demo.stdout.off('data', check);
          resolve(match);
        };
        demo.stdout.on('data', check);
        check();
      });
    demo.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => demo.on('exit', resolve));
    let base: string | undefined;
    try {
      [, base] = await seen(/homes under (\S+)\.\n/);
      await Promise.all(['a', 'b', 'c'].flatMap((id) => ['a', 'b', 'c'].filter((other) => other !== id).map((other) => seen(new RegExp(`\\[${id}\\] cluster: node ${other} ACTIVE`)))));
      const nodes = await runLattice(['cluster', 'nodes', '--json', '--home', `${base}/a`]);
      expect((JSON.parse(nodes.stdout) as { id: string; state: string }[]).map((n) => `${n.id}:${n.state}`)).toEqual(['a:ACTIVE', 'b:ACTIVE', 'c:ACTIVE']);
      // Ctrl-C in a terminal: SIGINT to the whole foreground process group. Each node stops gracefully.
      process.kill(-(demo.pid as number), 'SIGINT');
      expect(await exited).toBe(0);
      for (const id of ['a', 'b', 'c']) expect(output).toMatch(new RegExp(`\\[${id}\\] container stopped`));
      expect(output).not.toContain('again: exiting without waiting');
      await expect(stat(base as string)).rejects.toThrow();
    } finally {
      try {
        process.kill(-(demo.pid as number), 'SIGKILL');
      } catch {
        // already gone
      }
      // The nodes have process groups of their own: a node left by a failed test is killed by its pid.
      for (const id of ['a', 'b', 'c']) {
        const control = await readFile(`${base ?? '/nonexistent'}/${id}/data/control.json`, 'utf8').catch(() => undefined);
        const pid = control === undefined ? undefined : (JSON.parse(control) as { pid?: number }).pid;
        if (pid !== undefined) process.kill(pid, 'SIGKILL');
      }
      if (base !== undefined) await rm(base, { recursive: true, force: true });
    }
  }, 60_000);
});
