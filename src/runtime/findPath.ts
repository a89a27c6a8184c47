/**
 * A path from `start` to `goal` following `next` (breadth first, so a shortest one), as the nodes after
 * `start`, ending with `goal`; undefined if there is none. `start === goal` looks for a cycle through it.
 * Iterative: dependency chains can be long.
 */
export function findPath<N>(start: N, goal: N, next: (node: N) => Iterable<N>): N[] | undefined {
  const cameFrom = new Map<N, N>();
  let frontier: N[] = [start];
  while (frontier.length > 0) {
    const following: N[] = [];
    for (const node of frontier) {
      for (const to of next(node)) {
        if (to === goal) {
          const path: N[] = [goal];
          for (let at = node; at !== start; at = cameFrom.get(at) as N) path.unshift(at);
          return path;
        }
        if (to === start || cameFrom.has(to)) continue;
        cameFrom.set(to, node);
        following.push(to);
      }
    }
    frontier = following;
  }
  return undefined;
}
