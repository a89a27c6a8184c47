import { readFile, rm } from 'node:fs/promises';
import { writeFileAtomic } from '../../fs/writeFileAtomic.js';
import { Home } from '../../home/Home.js';

/** What `<home>/data/control.json` holds: how to reach the container running in that home. */
export interface ControlInfo {
  readonly pid: number;
  readonly port: number;
  readonly token: string;
  readonly home: string;
  readonly startedAt: string;
  readonly nodeId?: string;
}

export function controlFileOf(home: string): string {
  return new Home(home).controlFile;
}

/** The control file of `home`, or undefined if there is none (or it is unreadable). */
export async function readControlFile(home: string): Promise<ControlInfo | undefined> {
  try {
    const info = JSON.parse(await readFile(controlFileOf(home), 'utf8')) as ControlInfo;
    return typeof info.pid === 'number' && typeof info.port === 'number' && typeof info.token === 'string' ? info : undefined;
  } catch {
    return undefined;
  }
}

/** Written readable by the owner only: the token in it grants control of the container. */
export async function writeControlFile(home: string, info: ControlInfo): Promise<void> {
  await writeFileAtomic(controlFileOf(home), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
}

export async function removeControlFile(home: string): Promise<void> {
  await rm(controlFileOf(home), { force: true });
}

/** True when a process with this pid exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
