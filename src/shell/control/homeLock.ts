import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Home } from '../../home/Home.js';
import { isAlive, readControlFile } from './controlFile.js';

export type HomeLock = { ok: true; release: () => Promise<void> } | { ok: false; message: string };

/** Who holds a lock: a pid, and when that process started (to tell a reused pid from the owner). */
interface LockOwner {
  readonly pid: number;
  readonly startTime: string | undefined;
}

/**
 * One container per home: `data/container.pid` holds the owner's pid and start time. It is written to a
 * temporary file first and linked into place, so the lock never exists without its content (link fails
 * if the lock exists: the creation is atomic). A lock whose owner is gone (dead, or its pid now belongs
 * to another process, or the file is unreadable) is stale and taken over.
 */
export async function lockHome(home: string): Promise<HomeLock> {
  const layout = new Home(home);
  const data = layout.data;
  const file = layout.lockFile;
  await mkdir(data, { recursive: true });
  const self: LockOwner = { pid: process.pid, startTime: startTimeOf(process.pid) };
  const temp = join(data, `.container.pid.${process.pid}`);
  await writeFile(temp, `${self.pid} ${self.startTime ?? '-'}\n`, { mode: 0o644 });
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await link(temp, file);
        return { ok: true, release: () => releaseLock(file, self) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = await readOwner(file);
      if (owner && isRunning(owner)) {
        const control = await readControlFile(home);
        const port = control?.pid === owner.pid ? `, control port ${control.port}` : '';
        return { ok: false, message: `a container is already running in ${home} (pid ${owner.pid}${port}). Stop it with: lattice stop --home ${home}` };
      }
      await takeOverStale(file, owner);
      await rm(layout.controlFile, { force: true });
    }
    return { ok: false, message: `cannot lock ${file}: other processes keep taking it; try again` };
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * Moves a stale lock aside. Two starters may find the same stale lock: only one rename wins; if what was
 * moved is not the stale lock any more (another starter's fresh one), it is put back.
 */
async function takeOverStale(file: string, seen: LockOwner | undefined): Promise<void> {
  const aside = `${file}.stale.${process.pid}`;
  try {
    await rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // another starter moved it first
    throw error;
  }
  const moved = await readOwner(aside);
  const same = moved !== undefined && seen !== undefined && moved.pid === seen.pid && moved.startTime === seen.startTime;
  if (moved && !same && isRunning(moved)) {
    await link(aside, file).catch(() => undefined);
  }
  await rm(aside, { force: true });
}

/** Removes the lock if it is still this process's. */
async function releaseLock(file: string, self: LockOwner): Promise<void> {
  const owner = await readOwner(file);
  if (owner?.pid === self.pid) await rm(file, { force: true });
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const [pidText, startTime] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, startTime: startTime === undefined || startTime === '-' ? undefined : startTime };
}

function isRunning(owner: LockOwner): boolean {
  if (!isAlive(owner.pid)) return false;
  // Where the system tells start times (Linux), a different one means the pid was reused after a crash.
  const now = startTimeOf(owner.pid);
  return owner.startTime === undefined || now === undefined || now === owner.startTime;
}

/** The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), where there is /proc. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
