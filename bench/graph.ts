import { seededRandom } from './random.js';

/** A dependency DAG: node i depends on up to 3 earlier nodes; the first `roots` depend on nothing. */
export interface Graph {
  readonly size: number;
  readonly dependencies: readonly (readonly number[])[];
}

export function generateGraph(size: number, seed = 7, roots = Math.max(1, Math.floor(size / 100))): Graph {
  const random = seededRandom(seed);
  const dependencies: number[][] = [];
  for (let i = 0; i < size; i++) {
    const deps = new Set<number>();
    if (i >= roots) {
      const count = 1 + Math.floor(random() * 3);
      for (let k = 0; k < count; k++) deps.add(Math.floor(random() * i));
    }
    dependencies.push([...deps]);
  }
  return { size, dependencies };
}

/** Node `start` and everything that depends on it, directly or not. */
export function dependentsOf(graph: Graph, start: number): Set<number> {
  const users: number[][] = Array.from({ length: graph.size }, () => []);
  graph.dependencies.forEach((deps, i) => {
    for (const d of deps) users[d]?.push(i);
  });
  const seen = new Set<number>([start]);
  const stack = [start];
  while (stack.length > 0) {
    for (const u of users[stack.pop()!] ?? []) {
      if (!seen.has(u)) {
        seen.add(u);
        stack.push(u);
      }
    }
  }
  return seen;
}
