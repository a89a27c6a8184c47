import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `content` to `file` so that readers see the old content or the new, never a mix: a temporary
 * file in the same folder (dot-prefixed, so watchers skip it), flushed, then renamed over the target.
 * The file keeps its permissions (a configuration holding a secret stays private); `mode` sets them.
 */
export async function writeFileAtomic(file: string, content: string, options: { mode?: number } = {}): Promise<void> {
  const folder = dirname(file);
  await mkdir(folder, { recursive: true });
  const temp = join(folder, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const mode = options.mode ?? (await stat(file).then((s) => s.mode & 0o777, () => undefined));
  // A new file gets the umask's say; an existing one, or an explicit mode, exactly that mode.
  const handle = await open(temp, 'w', mode ?? 0o644);
  try {
    if (mode !== undefined) await handle.chmod(mode);
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
