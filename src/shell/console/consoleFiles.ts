import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * The libraries the page loads, from node_modules (no CDN, no bundler): preact with its hooks and htm in
 * one module, and Graphviz as WebAssembly (loaded only when the graph is opened).
 */
const VENDOR: ReadonlyMap<string, string> = new Map([
  ['preact.js', 'htm/preact/standalone'],
  ['viz.js', '@viz-js/viz'],
]);

/** The console's own files: src/shell/console/web, beside this module in the sources, four folders up from dist/src/shell/console. */
function webFolder(): string {
  for (const candidate of ['./web/', '../../../../src/shell/console/web/']) {
    const folder = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(join(folder, 'index.html'))) return folder;
  }
  throw new Error('The web console\'s files (src/shell/console/web) are missing from this installation.');
}

export interface ConsoleFile {
  readonly contentType: string;
  readonly body: Buffer;
}

/** The console's static files, by their path under /console/. */
export class ConsoleFiles {
  /** Found when first needed: a container without them starts all the same, and says so when asked. */
  private folder: string | undefined;
  /** Files found (only those: any page can ask for any path, and must not fill this). */
  private readonly cache = new Map<string, ConsoleFile>();

  /** The file at `path` ('' is index.html), or undefined when there is none. */
  async get(path: string): Promise<ConsoleFile | undefined> {
    const cached = this.cache.get(path);
    if (cached) return cached;
    const file = await this.load(path);
    if (file) this.cache.set(path, file);
    return file;
  }

  private async load(path: string): Promise<ConsoleFile | undefined> {
    const vendor = path.startsWith('vendor/') ? VENDOR.get(path.slice('vendor/'.length)) : undefined;
    let file: string;
    if (vendor !== undefined) file = fileURLToPath(import.meta.resolve(vendor));
    else if (path === '') file = join((this.folder ??= webFolder()), 'index.html');
    // Only plain names in the folder and its subfolders: nothing outside it.
    else if (/^(?:[a-z0-9-]+\/)*[a-zA-Z0-9-]+\.[a-z]+$/.test(path)) file = join((this.folder ??= webFolder()), path);
    else return undefined;
    const contentType = CONTENT_TYPES[extname(file)];
    if (contentType === undefined) return undefined;
    try {
      return { contentType, body: await readFile(file) };
    } catch {
      return undefined;
    }
  }
}
