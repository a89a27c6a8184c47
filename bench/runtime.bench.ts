import { Container as InversifyContainer, decorate, inject, injectable } from 'inversify';
import { pino } from 'pino';
import { Component, Container, Reference, serviceToken, type ComponentClass, type ServiceToken } from '../src/index.js';
import { dependentsOf, generateGraph, type Graph } from './graph.js';
import { heapUsed, kib, ms, printTable, ratio } from './table.js';

function tokensFor(graph: Graph, prefix: string): ServiceToken[] {
  return Array.from({ length: graph.size }, (_, i) => serviceToken(`${prefix}.${i}`));
}

/** One immediate component per node, providing its token and referencing its dependencies' tokens. */
function componentClasses(graph: Graph, tokens: readonly ServiceToken[]): ComponentClass[] {
  return graph.dependencies.map((deps, i) => {
    const Node = class {};
    deps.forEach((d, k) => {
      Reference({ service: tokens[d]! })(Node.prototype, `dep${k}`);
    });
    Component({ name: `node-${i}`, service: tokens[i]!, immediate: true })(Node);
    return Node;
  });
}

/** The same graph in plain inversify: singleton classes with constructor injection, bound and resolved. */
async function rawInversify(graph: Graph, tokens: readonly ServiceToken[]): Promise<number> {
  const classes = graph.dependencies.map((deps) => {
    const Node = class {
      readonly deps: unknown[];
      constructor(...deps: unknown[]) {
        this.deps = deps;
      }
    };
    decorate(injectable(), Node);
    deps.forEach((d, k) => {
      decorate(inject(tokens[d]!), Node, k);
    });
    return Node;
  });
  const started = performance.now();
  const container = new InversifyContainer({ defaultScope: 'Singleton' });
  classes.forEach((Node, i) => container.bind(tokens[i]!).to(Node));
  for (const token of tokens) await container.getAsync(token);
  return performance.now() - started;
}

/** The same graph as a bare topological loop: `new` in dependency order. */
function bareLoop(graph: Graph): number {
  const started = performance.now();
  const instances: object[] = [];
  graph.dependencies.forEach((deps) => {
    const args = deps.map((d) => instances[d]);
    instances.push({ args });
  });
  return performance.now() - started;
}

export async function benchRuntime(sizes: readonly number[]): Promise<void> {
  const rows: string[][] = [];
  const churn: string[][] = [];
  for (const size of sizes) {
    const graph = generateGraph(size);
    const tokens = tokensFor(graph, `bench.runtime.${size}`);
    const classes = componentClasses(graph, tokens);

    const heapBefore = heapUsed();
    const container = new Container({ logger: pino({ level: 'silent' }) });
    container.register(...classes);
    let started = performance.now();
    await container.start();
    const startMs = performance.now() - started;
    const active = container.components().filter((c) => c.state === 'active').length;
    if (active !== size) throw new Error(`only ${active} of ${size} components became active`);
    const heapPerComponent = (heapUsed() - heapBefore) / size;

    // Take one root provider away and bring it back: only its dependents may move.
    const root = Math.floor(graph.size / 200);
    const affected = dependentsOf(graph, root);
    const touched = new Set<string>();
    const unsubscribe = container.on((e) => {
      if (e.type === 'component') touched.add(e.name);
    });
    started = performance.now();
    await container.disable(`node-${root}`);
    const disableMs = performance.now() - started;
    const strays = (step: string): void => {
      const stray = [...touched].filter((name) => !affected.has(Number(name.slice('node-'.length))));
      if (stray.length > 0) throw new Error(`components outside the affected set changed on ${step}: ${stray.slice(0, 5).join(', ')}`);
    };
    strays('remove');
    const touchedByDisable = touched.size;
    touched.clear();
    started = performance.now();
    await container.enable(`node-${root}`);
    const enableMs = performance.now() - started;
    unsubscribe();
    strays('re-add');

    started = performance.now();
    await container.stop();
    const stopMs = performance.now() - started;

    const inversifyMs = await rawInversify(graph, tokensFor(graph, `bench.raw.${size}`));
    const loopMs = bareLoop(graph);
    rows.push([String(size), ms(startMs), ms(inversifyMs), ratio(startMs, inversifyMs), ms(loopMs), ms(stopMs), kib(heapPerComponent)]);
    churn.push([String(size), `node-${root}`, String(affected.size), String(touchedByDisable), String(touched.size), ms(disableMs), ms(enableMs)]);
  }
  printTable(
    'Activation of a generated DAG (each component references up to 3 earlier ones; seed 7)',
    ['components', 'start → all active', 'raw inversify (bind + get all)', 'ratio', 'bare loop', 'stop', 'heap / component'],
    rows,
  );
  printTable(
    'Remove and re-add one provider near the bottom of the graph',
    ['components', 'provider', 'affected (it + dependents)', 'touched on remove', 'touched on re-add', 'remove', 're-add'],
    churn,
  );
}
