/**
 * A Node module resolve hook (registered with `module.register`, so it runs in Node's loader thread).
 * The bare specifier `lattice` resolves to the running container's own copy of the API, wherever the
 * importing module sits (a bare folder given as --home, a deploy/ folder, a module with its own
 * node_modules): one copy means one set of decorators and one metadata model. And a module imported
 * with a version query passes it on to its relative imports, so a redeploy reloads all of its files.
 */
interface ResolveContext {
  readonly parentURL?: string;
}
interface ResolveResult {
  readonly url: string;
  readonly shortCircuit?: boolean;
}

let latticeUrl: string | undefined;

export function initialize(data: { latticeUrl: string }): void {
  latticeUrl = data.latticeUrl;
}

/** The query a re-imported module carries (see ModuleLoader); its relative imports get it too. */
const VERSION = 'lattice-v';

export async function resolve(
  specifier: string,
  context: ResolveContext,
  nextResolve: (specifier: string, context: ResolveContext) => Promise<ResolveResult>,
): Promise<ResolveResult> {
  if (specifier === 'lattice' && latticeUrl !== undefined) return { url: latticeUrl, shortCircuit: true };
  const resolved = await nextResolve(specifier, context);
  // A redeployed folder module must load its own files afresh too, not the first version's.
  const version = context.parentURL === undefined ? null : new URL(context.parentURL).searchParams.get(VERSION);
  if (version !== null && (specifier.startsWith('./') || specifier.startsWith('../')) && resolved.url.startsWith('file:')) {
    const url = new URL(resolved.url);
    url.searchParams.set(VERSION, version);
    return { ...resolved, url: url.href };
  }
  return resolved;
}
