/** A service that one component holds from another, and whether it holds it statically. */
export interface Hold<N> {
  readonly provider: N;
  /** Static: only deactivating lets go of it. Dynamic: the holder can unbind it and stay active. */
  readonly strong: boolean;
}

/**
 * For shutting down several components together, consumers first: for each node, the nodes that must be
 * gone before it starts to go. Consumers go before their providers. Where holds form a cycle, its
 * members go one at a time, in an order that puts the static holders first, so that every dynamic
 * holder is still live (and can unbind) when its provider goes; only a cycle of static holds must break
 * one of them. The result has no cycle.
 */
export function shutdownOrder<N>(nodes: readonly N[], holdsOf: (node: N) => Iterable<Hold<N>>): Map<N, N[]> {
  const index = new Map(nodes.map((node, i) => [node, i]));
  const edges: { to: number; strong: boolean }[][] = nodes.map((node, i) => {
    const byProvider = new Map<number, boolean>();
    for (const hold of holdsOf(node)) {
      const j = index.get(hold.provider);
      if (j !== undefined && j !== i) byProvider.set(j, (byProvider.get(j) ?? false) || hold.strong);
    }
    return [...byProvider].map(([to, strong]) => ({ to, strong }));
  });
  const component = stronglyConnected(edges.map((list) => list.map((e) => e.to)));
  const after = new Map<N, N[]>(nodes.map((node) => [node, []]));
  const members = new Map<number, number[]>();
  nodes.forEach((_, i) => {
    const c = component[i] as number;
    members.set(c, [...(members.get(c) ?? []), i]);
  });
  edges.forEach((list, consumer) => {
    for (const { to } of list) {
      if (component[to] !== component[consumer]) after.get(nodes[to] as N)?.push(nodes[consumer] as N);
    }
  });
  for (const group of members.values()) {
    if (group.length < 2) continue;
    const order = staticHoldersFirst(group, edges);
    for (let k = 1; k < order.length; k++) after.get(nodes[order[k] as number] as N)?.push(nodes[order[k - 1] as number] as N);
  }
  return after;
}

/** The members of one cycle in an order where each static holder comes before what it holds (where it can). */
function staticHoldersFirst(group: readonly number[], edges: readonly { to: number; strong: boolean }[][]): number[] {
  const inGroup = new Set(group);
  const pending = new Map(group.map((i) => [i, 0]));
  for (const i of group) for (const e of edges[i] ?? []) if (e.strong && inGroup.has(e.to)) pending.set(e.to, (pending.get(e.to) ?? 0) + 1);
  const order: number[] = [];
  const placed = new Set<number>();
  let ready = group.filter((i) => pending.get(i) === 0);
  while (order.length < group.length) {
    // A cycle of static holds has no member free to go first: take the earliest one left.
    if (ready.length === 0) ready = [group.find((i) => !placed.has(i)) as number];
    const next: number[] = [];
    for (const i of ready) {
      if (placed.has(i)) continue;
      placed.add(i);
      order.push(i);
      for (const e of edges[i] ?? []) {
        if (!e.strong || !inGroup.has(e.to) || placed.has(e.to)) continue;
        const left = (pending.get(e.to) ?? 0) - 1;
        pending.set(e.to, left);
        if (left === 0) next.push(e.to);
      }
    }
    ready = next;
  }
  return order;
}

/** Tarjan's strongly connected components, iteratively: the component number of each node. */
function stronglyConnected(adjacency: readonly (readonly number[])[]): number[] {
  const n = adjacency.length;
  const order = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const component = new Array<number>(n).fill(-1);
  const onStack = new Array<boolean>(n).fill(false);
  const stack: number[] = [];
  let counter = 0;
  let components = 0;
  for (let root = 0; root < n; root++) {
    if (order[root] !== -1) continue;
    const work: [number, number][] = [[root, 0]];
    while (work.length > 0) {
      const frame = work[work.length - 1] as [number, number];
      const [v, next] = frame;
      if (next === 0) {
        order[v] = low[v] = counter++;
        stack.push(v);
        onStack[v] = true;
      }
      const neighbours = adjacency[v] as readonly number[];
      if (next < neighbours.length) {
        frame[1] = next + 1;
        const w = neighbours[next] as number;
        if (order[w] === -1) work.push([w, 0]);
        else if (onStack[w]) low[v] = Math.min(low[v] as number, order[w] as number);
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low[parent[0]] = Math.min(low[parent[0]] as number, low[v] as number);
      if (low[v] === order[v]) {
        for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
          onStack[w] = false;
          component[w] = components;
          if (w === v) break;
        }
        components++;
      }
    }
  }
  return component;
}
