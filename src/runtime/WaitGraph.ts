import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';

/** What a cancelled wait resolves to. */
export const CANCELLED: unique symbol = Symbol('lattice.wait-cancelled');

/** `acquire`: a consumer waits for a provider to hand over its service; `release`: a provider waits for a consumer to let go of it. */
export type WaitKind = 'acquire' | 'release';

/**
 * How much a wait may give way to close no cycle: `breakable` (an optional reference, a release) the
 * most; `fallback` (a mandatory single reference with other candidates left to try) next; `mandatory`
 * (the only way to satisfy a mandatory reference) never.
 */
export type WaitStrength = 'breakable' | 'fallback' | 'mandatory';

/** One wait: settled by the promise waited for, or ended early by `cancel` or `abandon`. */
class Edge<N> {
  constructor(
    readonly from: N,
    readonly to: N,
    readonly strength: WaitStrength,
    readonly kind: WaitKind,
    private readonly graph: WaitGraph<N>,
    private readonly settle: (value: unknown) => void,
  ) {}

  cancel(): void {
    this.end(CANCELLED);
  }

  /** Ends the wait with nothing: what it waited for will not come. */
  abandon(): void {
    this.end(undefined);
  }

  end(value: unknown): void {
    this.graph.remove(this);
    this.settle(value);
  }
}

/**
 * Who is waiting for whom, across components, so that waits never close a circle.
 *
 * Node is single-threaded, so a cycle of awaits is a hang, not a race. Every cross-component wait
 * goes through here: a wait that would close a cycle is refused when it is breakable (an optional
 * reference is bound late instead; a provider going away does not wait for a consumer that waits for
 * it); otherwise it breaks a breakable wait in the cycle, or else a fallback one (that consumer tries its
 * next candidate), a fallback wait refusing itself before it breaks another. A cycle of mandatory waits
 * is an error that names the cycle.
 */
export class WaitGraph<N> {
  /** Edges by the node that waits, and by the node waited for. */
  private readonly edges = new Map<N, Set<Edge<N>>>();
  private readonly incoming = new Map<N, Set<Edge<N>>>();

  constructor(private readonly describe: (node: N) => string) {}

  wait<T>(from: N, to: N, strength: WaitStrength, promise: Promise<T>, kind: WaitKind = 'acquire'): Promise<T | typeof CANCELLED | undefined> {
    // Break every path back, not just the first found: several consumers may wait on one provider. Choose
    // first, break after: a wait that ends up refused (or a cycle that is an error) breaks nothing.
    // No path back when `to` waits for nobody (the usual case): nothing to look for then. Waiting for
    // oneself is a cycle of its own.
    if (from === to || this.edges.has(to)) {
      const chosen = new Set<Edge<N>>();
      for (let path = from === to ? [] : this.findPath(to, from, chosen); path; path = from === to ? undefined : this.findPath(to, from, chosen)) {
        if (strength === 'breakable') return Promise.resolve(CANCELLED);
        const weak = path.find((e) => e.strength === 'breakable') ?? (strength === 'mandatory' ? path.find((e) => e.strength === 'fallback') : undefined);
        if (!weak && strength === 'fallback') return Promise.resolve(CANCELLED);
        if (!weak) {
          const names = [from, to, ...path.map((e) => e.to)].map(this.describe);
          throw new LatticeError(
            ErrorCode.REFERENCE_CYCLE,
            `Circular activation: ${names.join(' → ')}. Every reference in this circle is mandatory; make one of them optional (cardinality 0..1 or 0..n) so that it can be bound late.`,
            { cycle: names },
          );
        }
        chosen.add(weak);
      }
      for (const edge of chosen) edge.cancel();
    }
    return new Promise<T | typeof CANCELLED | undefined>((resolve, reject) => {
      const edge = new Edge<N>(from, to, strength, kind, this, resolve as (value: unknown) => void);
      this.add(edge);
      promise.then(
        (value) => {
          edge.end(value);
        },
        (error: unknown) => {
          this.remove(edge);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /**
   * `provider` took its service away: waits to acquire it end now, with nothing, before the provider
   * waits for its consumers (one of which may be the one acquiring, which must not look like a cycle).
   */
  abandonAcquires(provider: N): void {
    for (const edge of [...(this.incoming.get(provider) ?? [])]) if (edge.kind === 'acquire') edge.abandon();
  }

  /** Whom `node` is waiting for right now. */
  waitingFor(node: N): N[] {
    return [...(this.edges.get(node) ?? [])].map((e) => e.to);
  }

  /** The edges of a path from `start` to `goal`, if there is one (iterative: wait chains can be long). */
  private findPath(start: N, goal: N, skip?: ReadonlySet<Edge<N>>): Edge<N>[] | undefined {
    const reachedBy = new Map<N, Edge<N> | undefined>([[start, undefined]]);
    const stack: N[] = [start];
    while (stack.length > 0) {
      const node = stack.pop() as N;
      for (const edge of this.edges.get(node) ?? []) {
        if (reachedBy.has(edge.to) || skip?.has(edge)) continue;
        reachedBy.set(edge.to, edge);
        if (edge.to === goal) {
          const path: Edge<N>[] = [];
          for (let e: Edge<N> | undefined = edge; e; e = reachedBy.get(e.from)) path.unshift(e);
          return path;
        }
        stack.push(edge.to);
      }
    }
    return undefined;
  }

  private add(edge: Edge<N>): void {
    const out = this.edges.get(edge.from);
    if (out) out.add(edge);
    else this.edges.set(edge.from, new Set([edge]));
    const into = this.incoming.get(edge.to);
    if (into) into.add(edge);
    else this.incoming.set(edge.to, new Set([edge]));
  }

  /** @internal Takes a wait out (Edge.end). */
  remove(edge: Edge<N>): void {
    const out = this.edges.get(edge.from);
    if (out?.delete(edge) && out.size === 0) this.edges.delete(edge.from);
    const into = this.incoming.get(edge.to);
    if (into?.delete(edge) && into.size === 0) this.incoming.delete(edge.to);
  }
}
