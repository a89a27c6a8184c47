import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Resolves once nothing under `dir` (names, sizes, modification times, at any depth) has changed for
 * `settleMs`: for a folder, what chokidar's awaitWriteFinish does for one file. A folder untouched for
 * that long already is settled at once. Gives up waiting after `maxWaitMs` (`settled` false). `key`
 * identifies the content it settled on (equal keys: nothing changed).
 */
export async function whenFolderSettled(dir: string, settleMs: number, maxWaitMs = 60_000): Promise<{ settled: boolean; key: string }> {
  const deadline = Date.now() + maxWaitMs;
  let before = await folderSnapshot(dir);
  if (before.newestMs <= Date.now() - settleMs) return { settled: true, key: before.key };
  while (Date.now() < deadline) {
    await sleep(settleMs);
    const after = await folderSnapshot(dir);
    if (after.key === before.key) return { settled: true, key: after.key };
    before = after;
  }
  return { settled: false, key: before.key };
}

/** Names, sizes and modification times of everything under `dir`, and the newest time among them. */
export async function folderSnapshot(dir: string): Promise<{ key: string; newestMs: number }> {
  const names = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  const parts: string[] = [];
  let newestMs = (await stat(dir).catch(() => undefined))?.mtimeMs ?? 0;
  for (const name of names.sort()) {
    const info = await stat(join(dir, name)).catch(() => undefined);
    if (!info) continue;
    parts.push(`${name}\0${info.size}\0${info.mtimeMs}`);
    newestMs = Math.max(newestMs, info.mtimeMs);
  }
  return { key: parts.join('\n'), newestMs };
}
