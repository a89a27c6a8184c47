import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { KeyedQueue } from '../async/KeyedQueue.js';

/** Writes queued per file: each waits for the one before, so the last call's content is what stays. */
const writes = new KeyedQueue<string>();

/** Temporary files these functions write: `.<name>.<12 hex digits>.tmp`, dot-prefixed so watchers skip them. */
const TEMP = /^\..+\.[0-9a-f]{12}\.tmp$/;

/**
 * Writes `content` to `file` so that readers see the old content or the new, never a mix: a temporary
 * file in the same folder, flushed, then renamed over the target. Calls for one file run one after
 * another, in call order, so the last call wins (renames of concurrent writes would land in any order).
 * The file keeps its permissions (a configuration holding a secret stays private); `mode` sets them.
 */
export function writeFileAtomic(file: string, content: string, options: { mode?: number } = {}): Promise<void> {
  return writes.run(resolve(file), async () => {
    const temp = await writeTemp(file, content, options.mode ?? (await stat(file).then((s) => s.mode & 0o777, () => undefined)));
    try {
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  });
}

/**
 * Writes `file` whole only if it does not exist (checked atomically: the content is linked into place,
 * which fails if the name is taken). Returns false, writing nothing, if it existed.
 */
export function writeFileExclusive(file: string, content: string): Promise<boolean> {
  return writes.run(resolve(file), async () => {
    const temp = await writeTemp(file, content, undefined);
    try {
      await link(temp, file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await rm(temp, { force: true });
    }
  });
}

/** Removes temporary files left in `folder` by writes that a crash interrupted; returns their names. */
export async function sweepTempFiles(folder: string): Promise<string[]> {
  const names = await readdir(folder).catch(() => [] as string[]);
  const left = names.filter((name) => TEMP.test(name));
  await Promise.all(left.map((name) => rm(join(folder, name), { force: true })));
  return left;
}

async function writeTemp(file: string, content: string, mode: number | undefined): Promise<string> {
  const folder = dirname(file);
  await mkdir(folder, { recursive: true });
  const temp = join(folder, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  // A new file gets the umask's say; an existing one, or an explicit mode, exactly that mode.
  const handle = await open(temp, 'w', mode ?? 0o644);
  try {
    if (mode !== undefined) await handle.chmod(mode);
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  return temp;
}
