import type { BoundServiceInfo, ComponentInfo } from '../../runtime/ComponentInfo.js';

export type GraphFormat = 'dot' | 'mermaid';

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  /** Not bound: a candidate provider, or a missing one. */
  readonly dashed: boolean;
}

/**
 * Components and their references as a graph: an edge from a consumer to each provider it is bound to
 * (dashed to providers it could use but is not bound to, and to a "missing" node when nothing provides
 * the service). `only` restricts it to some components (and what they are bound to).
 */
export function renderGraph(components: readonly ComponentInfo[], format: GraphFormat, only?: ReadonlySet<string>): string {
  const providersOf = new Map<string, string[]>();
  for (const c of components) for (const s of c.services) providersOf.set(s, [...(providersOf.get(s) ?? []), c.name]);
  const shown = components.filter((c) => !only || only.has(c.name));
  const nodes = new Map<string, { label: string; state: string }>();
  for (const c of shown) nodes.set(c.name, { label: c.name, state: c.state });
  const edges: Edge[] = [];
  for (const c of shown) {
    for (const ref of c.references) {
      const label = `${ref.name} ${ref.cardinality}`;
      const bound = ref.bound.map((b) => b.component ?? externalName(b));
      for (const to of bound) edges.push({ from: c.name, to, label, dashed: false });
      if (bound.length === 0) {
        // Not bound: to the services it could bind, else to the components that would provide one, else "missing".
        const registered = ref.candidates.map((s) => s.component ?? externalName(s));
        const candidates = registered.length > 0 ? registered : (providersOf.get(ref.service) ?? []);
        for (const to of candidates) edges.push({ from: c.name, to, label, dashed: true });
        if (candidates.length === 0) edges.push({ from: c.name, to: `missing: ${ref.service}`, label, dashed: true });
      }
    }
  }
  for (const e of edges) {
    if (nodes.has(e.to)) continue;
    const known = components.find((c) => c.name === e.to);
    nodes.set(e.to, { label: e.to, state: known?.state ?? (e.to.startsWith('missing: ') ? 'missing' : 'external') });
  }
  return format === 'dot' ? dot(nodes, edges) : mermaid(nodes, edges);
}

/** A service registered from outside the components: its id and interface. */
function externalName(service: BoundServiceInfo): string {
  const classes = service.properties.objectClass;
  return `service ${service.serviceId}${Array.isArray(classes) ? ` (${classes.join(', ')})` : ''}`;
}

const DOT_COLOURS: Record<string, string> = {
  active: 'palegreen',
  satisfied: 'lightblue',
  'failed-activation': 'salmon',
  'unsatisfied-reference': 'khaki',
  'unsatisfied-configuration': 'khaki',
  missing: 'white',
  external: 'lightgrey',
};

function dot(nodes: Map<string, { label: string; state: string }>, edges: readonly Edge[]): string {
  const q = (s: string): string => JSON.stringify(s);
  const lines = ['digraph lattice {', '  rankdir=LR;', '  node [shape=box, style="rounded,filled", fontname="Helvetica"];'];
  for (const [id, node] of nodes) {
    lines.push(`  ${q(id)} [label=${q(`${node.label}\n${node.state}`)}, fillcolor=${q(DOT_COLOURS[node.state] ?? 'white')}${node.state === 'missing' ? ', style="rounded,dashed"' : ''}];`);
  }
  for (const e of edges) lines.push(`  ${q(e.from)} -> ${q(e.to)} [label=${q(e.label)}${e.dashed ? ', style=dashed' : ''}];`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function mermaid(nodes: Map<string, { label: string; state: string }>, edges: readonly Edge[]): string {
  const ids = new Map([...nodes.keys()].map((name, i) => [name, `n${i}`]));
  const text = (s: string): string => s.replace(/"/g, '#quot;');
  const lines = ['graph LR'];
  for (const [name, node] of nodes) lines.push(`  ${ids.get(name) ?? ''}["${text(node.label)}<br/>${node.state}"]`);
  for (const e of edges) lines.push(`  ${ids.get(e.from) ?? ''} ${e.dashed ? '-.->' : '-->'}|"${text(e.label)}"| ${ids.get(e.to) ?? ''}`);
  for (const [state, colour] of Object.entries(DOT_COLOURS)) {
    const members = [...nodes].filter(([, n]) => n.state === state).map(([name]) => ids.get(name));
    if (members.length > 0) lines.push(`  classDef ${state.replace(/[^a-z]/g, '')} fill:${colour};`, `  class ${members.join(',')} ${state.replace(/[^a-z]/g, '')};`);
  }
  return `${lines.join('\n')}\n`;
}
