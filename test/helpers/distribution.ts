import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Writes files (path → text, or → JSON value) under `root`, creating folders. */
export async function writeFiles(root: string, files: Record<string, string | object>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const file = join(root, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
  }
}

/**
 * A plain JavaScript component module, written the way a user without TypeScript writes one:
 * decorators applied as functions, the API imported by the package name.
 */
export function componentModule(options: {
  name: string;
  provides?: string;
  needs?: string[];
  /** Code run in activate (e.g. `throw new Error("x")`). */
  activate?: string;
  properties?: Record<string, unknown>;
}): string {
  const needs = options.needs ?? [];
  return `import { Activate, Component, Deactivate, Reference, serviceToken } from '@lattice-scr/lattice';
export class Impl {
  activate(context) {
    globalThis.__latticeTestLog?.push('activate ${options.name}');
    ${options.activate ?? ''}
  }
  deactivate(context) {
    globalThis.__latticeTestLog?.push('deactivate ${options.name} ' + context.reason);
  }
}
${needs.map((service, i) => `Reference({ service: serviceToken(${JSON.stringify(service)}) })(Impl.prototype, 'dep${i}');`).join('\n')}
Activate(Impl.prototype, 'activate');
Deactivate(Impl.prototype, 'deactivate');
Component({ name: ${JSON.stringify(options.name)}${options.provides ? `, service: serviceToken(${JSON.stringify(options.provides)}), immediate: true` : ''}${options.properties ? `, properties: ${JSON.stringify(options.properties)}` : ''} })(Impl);
`;
}
