import { afterEach, describe, expect, test } from 'vitest';
import { spawnLattice, type LatticeProcess } from '../helpers/cli.js';

const running: LatticeProcess[] = [];
afterEach(() => {
  for (const p of running.splice(0)) p.child.kill('SIGKILL');
});

describe('lattice start', () => {
  test.each(['SIGTERM', 'SIGINT'] as const)('runs the example components in the foreground; %s stops it gracefully with exit 0', async (signal) => {
    const lattice = spawnLattice(['start']);
    running.push(lattice);
    const started = await lattice.waitForLine((l) => l.msg === 'container started');
    expect(started.components).toEqual(['examples.greeter=active', 'examples.heartbeat=active', 'examples.clock=active']);
    expect(lattice.lines.some((l) => l.component === 'examples.heartbeat' && /^Good (morning|afternoon|evening), Lattice$/.test(l.msg))).toBe(true);
    lattice.child.kill(signal);
    expect(await lattice.exited).toBe(0);
    expect(lattice.lines.map((l) => l.msg)).toContain('container stopped');
  });

  test('an unknown option is a usage error', async () => {
    const lattice = spawnLattice(['start', '--no-such-option']);
    running.push(lattice);
    expect(await lattice.exited).not.toBe(0);
    expect(lattice.stderr()).toContain("unknown option '--no-such-option'");
  });
});
