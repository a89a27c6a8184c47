/**
 * A Node module resolve hook (registered with `module.register`, so it runs in Node's loader thread).
 * The package's name, `@lattice-scr/lattice` (or its short form `lattice`), resolves to the running
 * container's own copy of the API, wherever the
 * importing module sits (a bare folder given as --home, a deploy/ folder, a module with its own
 * node_modules): one copy means one set of decorators and one metadata model. And a module imported
 * with a version query passes it on to its relative imports, so a redeploy reloads all of its files.
 */
import { fileURLToPath } from 'node:url';
import { attemptOf, moduleContentKey, VERSION_PARAMETER, versionOf } from './moduleGraph.js';

interface ResolveContext {
  readonly parentURL?: string;
}
interface ResolveResult {
  readonly url: string;
  readonly shortCircuit?: boolean;
}

/** The package's name on the registry, and the short name modules may import it by. */
const PACKAGE_NAME = '@lattice-scr/lattice';
const SHORT_NAME = 'lattice';

let latticeUrl: string | undefined;

export function initialize(data: { latticeUrl: string }): void {
  latticeUrl = data.latticeUrl;
}


export async function resolve(
  specifier: string,
  context: ResolveContext,
  nextResolve: (specifier: string, context: ResolveContext) => Promise<ResolveResult>,
): Promise<ResolveResult> {
  if ((specifier === PACKAGE_NAME || specifier === SHORT_NAME) && latticeUrl !== undefined) return { url: latticeUrl, shortCircuit: true };
  const resolved = await nextResolve(specifier, context);
  // A module's relative imports are versioned by their own content: a changed file (or one it imports)
  // is loaded afresh, an unchanged one is the same module for every module that imports it.
  const version = context.parentURL === undefined ? null : new URL(context.parentURL).searchParams.get(VERSION_PARAMETER);
  if (version !== null && (specifier.startsWith('./') || specifier.startsWith('../')) && resolved.url.startsWith('file:')) {
    const url = new URL(resolved.url);
    url.searchParams.set(VERSION_PARAMETER, versionOf(await moduleContentKey(fileURLToPath(url)), attemptOf(version)));
    return { ...resolved, url: url.href };
  }
  return resolved;
}
