import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { dependentsOf, generateGraph, type Graph } from './graph.js';
import { generateModule, VARIANTS, type Variant } from './runtime/generateModule.js';
import type { VariantResult } from './runtime/variant.js';
import { median } from './stats.js';
import { kib, ms, printTable } from './table.js';

const run = promisify(execFile);
const VARIANT_SCRIPT = fileURLToPath(new URL('./runtime/variant.js', import.meta.url));

const x = (value: number): string => `${value.toFixed(2)}x`;

/** The provider whose removal touches the number of components nearest to `share` of the graph. */
function churnProvider(graph: Graph, share: number): number {
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let i = 0; i < graph.size; i += Math.max(1, Math.floor(graph.size / 500))) {
    const distance = Math.abs(dependentsOf(graph, i).size - share * graph.size);
    if (distance < bestDistance) [best, bestDistance] = [i, distance];
  }
  return best;
}

/**
 * Lattice beside bare inversify, NestJS and a bare loop, on the same generated module of N distinct
 * classes (constructor injection, each referencing up to 3 earlier ones): every variant in a fresh
 * process of its own, the variants interleaved round after round (each round in another order), medians
 * and the median of each round's ratios.
 */
export async function benchRuntime(sizes: readonly number[]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lattice-bench-runtime-'));
  const urls = {
    lattice: new URL('../src/index.js', import.meta.url).href,
    inversify: import.meta.resolve('inversify'),
    nestCommon: import.meta.resolve('@nestjs/common'),
  };
  const activation: string[][] = [];
  const costs: string[][] = [];
  const churns: string[][] = [];
  const overheads: string[][] = [];
  try {
    for (const size of sizes) {
      const graph = generateGraph(size);
      const files = Object.fromEntries(VARIANTS.map((v) => [v, join(dir, `${v}-${size}.mjs`)])) as Record<Variant, string>;
      for (const v of VARIANTS) await writeFile(files[v], generateModule(graph, v, urls));
      const provider = churnProvider(graph, 0.2);
      const rounds = 5;
      const results: Record<Variant | 'lattice-metrics', VariantResult[]> = { bare: [], inversify: [], nestjs: [], lattice: [], 'lattice-metrics': [] };
      const runs = [...VARIANTS, 'lattice-metrics'] as const;
      for (let round = 0; round < rounds; round++) {
        const order = runs.map((_, i) => runs[(i + round) % runs.length] as Variant | 'lattice-metrics');
        for (const v of order) {
          const module = v === 'lattice-metrics' ? files.lattice : files[v];
          const { stdout } = await run(process.execPath, ['--expose-gc', VARIANT_SCRIPT, v, module, String(size), String(provider)], { maxBuffer: 1 << 20 });
          results[v].push(JSON.parse(stdout.trim().split('\n').pop() as string) as VariantResult);
        }
      }
      const withMetrics = median(results['lattice-metrics'].map((r, i) => r.activationMs / (results.lattice[i] as VariantResult).activationMs));
      overheads.push([String(size), ms(median(results.lattice.map((r) => r.activationMs))), ms(median(results['lattice-metrics'].map((r) => r.activationMs))), `${((withMetrics - 1) * 100).toFixed(1)}%`]);
      const med = (v: Variant | 'lattice-metrics', pick: (r: VariantResult) => number): number => median(results[v].map(pick));
      const perRound = (base: Variant): number => median(results.lattice.map((r, i) => r.activationMs / (results[base][i] as VariantResult).activationMs));
      activation.push([
        String(size),
        ms(med('bare', (r) => r.activationMs)),
        ms(med('inversify', (r) => r.activationMs)),
        ms(med('nestjs', (r) => r.activationMs)),
        ms(med('lattice', (r) => r.activationMs)),
        x(perRound('inversify')),
        x(perRound('nestjs')),
      ]);
      for (const v of VARIANTS) {
        costs.push([
          `${size} ${v}`,
          ms(med(v, (r) => r.importMs)),
          kib(med(v, (r) => r.heapPerComponent)),
          `${ms(med(v, (r) => r.gcMs))} (${Math.round(100 * med(v, (r) => r.gcMs / r.activationMs))}%)`,
          v === 'bare' ? '' : ms(med(v, (r) => r.stopMs)),
        ]);
      }
      const churn = results.lattice.map((r) => r.churn).filter((c) => c !== undefined);
      churns.push([
        String(size),
        `node-${provider}`,
        String(churn[0]?.affected ?? ''),
        String(churn[0]?.touched ?? ''),
        ms(median(churn.map((c) => c.removeMs))),
        ms(median(churn.map((c) => c.readdMs))),
      ]);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  printTable(
    'Activation of a generated module of N distinct classes (constructor injection, up to 3 references each; seed 7; each variant in a fresh process, interleaved; medians)',
    ['components', 'bare loop', 'inversify (bind + get all)', 'NestJS (createApplicationContext)', 'Lattice (register + start)', 'Lattice ÷ inversify', 'Lattice ÷ NestJS'],
    activation,
  );
  printTable('What each costs (medians): importing its module, retained heap per component after GC, GC during activation, stop', ['', 'import', 'heap / component', 'GC (share of activation)', 'stop'], costs);
  printTable('Metrics: Lattice with enableMetrics() beside without (the median of each round\'s ratio; goal at most 5%)', ['components', 'Lattice', 'Lattice + metrics', 'overhead'], overheads);
  printTable('Lattice: remove and re-add one provider (only it and its dependents may change state)', ['components', 'provider', 'affected', 'touched on re-add', 'remove', 're-add'], churns);
}
