import { readFileSync } from 'node:fs';
import { canListen } from '../../scripts/ports.js';

/**
 * Ports for tests to listen on, free on 127.0.0.1 when returned.
 *
 * Not `listen(0)`-and-release: the system hands those out again from its ephemeral range — to the next
 * control API, or an outgoing connection — before the test binds them, and a node then connects to
 * something else on "its" peer's port. These come from below the ephemeral range, where the system
 * never picks, in a block of their own for each vitest worker (so test files running side by side
 * cannot pick the same one); each is checked by binding it.
 */
const BLOCK = 400;
const low = ephemeralLow();
// As many blocks as fit between the privileged ports and the ephemeral range; workers beyond share them.
const blocks = Math.max(1, Math.floor((low - 1024) / BLOCK));
const blockStart = low - BLOCK * (1 + (Number(process.env.VITEST_POOL_ID ?? 1) % blocks));
let cursor = Math.floor(Math.random() * BLOCK);

export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let tried = 0; ports.length < count; tried++) {
    if (tried === BLOCK) throw new Error(`no free port in ${blockStart}-${blockStart + BLOCK - 1} for the tests`);
    const port = blockStart + (cursor++ % BLOCK);
    if (await canListen(port)) ports.push(port);
  }
  return ports;
}

/** The lowest port of the system's ephemeral range (Linux says so in /proc; 32768 is its default, below the others'). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low >= 1024 + BLOCK ? low : 32_768;
  } catch {
    return 32_768;
  }
}
