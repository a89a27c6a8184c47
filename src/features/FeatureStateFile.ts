import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { writeFileAtomic } from '../fs/writeFileAtomic.js';

/** A feature the user installed (not one pulled in as a dependency), as remembered across restarts. */
export interface RememberedFeature {
  readonly name: string;
  readonly version: string;
}

/** `<home>/data/features.json`: the features installed by name, reinstalled at the next start. */
export class FeatureStateFile {
  /** What the file holds, as last read or written here: the same content is not written again (each write is an fsync). */
  private content: string | undefined;

  constructor(
    private readonly file: string,
    private readonly logger: Logger,
  ) {}

  async read(): Promise<RememberedFeature[]> {
    // Whatever was written before, the file may have gone since (a start after a stop).
    this.content = undefined;
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
      this.content = text;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    try {
      const data = JSON.parse(text) as { installed?: unknown };
      if (!Array.isArray(data.installed)) throw new Error('"installed" is not an array');
      return data.installed.filter(
        (f): f is RememberedFeature => typeof f === 'object' && f !== null && typeof (f as RememberedFeature).name === 'string' && typeof (f as RememberedFeature).version === 'string',
      );
    } catch (error) {
      // The state is ours, not the user's; a damaged file must not stop the container from starting.
      this.logger.error({ file: this.file }, `ignoring ${this.file}, which cannot be read (${(error as Error).message}); installed features will not be restored`);
      return [];
    }
  }

  async write(features: readonly RememberedFeature[]): Promise<void> {
    const text = `${JSON.stringify({ installed: features }, null, 2)}\n`;
    if (text === this.content) return;
    await writeFileAtomic(this.file, text);
    this.content = text;
  }
}
