import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FACTORY_VARIANTS, type FactoryResult, type FactoryVariant } from './factory/FactoryVariant.js';
import { median } from './stats.js';
import { kib, printTable } from './table.js';

const run = promisify(execFile);
const VARIANT_SCRIPT = fileURLToPath(new URL('./factory/variant.js', import.meta.url));

const us = (ms: number): string => `${(ms * 1000).toFixed(1)} µs`;

/**
 * Instances of one class from a factory: Lattice's component factory and factory configurations beside
 * inversify's `get` of a transient class (the object and its injection alone), each variant in a fresh
 * process, interleaved round after round, medians.
 */
export async function benchFactory(count: number): Promise<void> {
  const results: Record<FactoryVariant, FactoryResult[]> = { inversify: [], 'component-factory': [], 'factory-configurations': [] };
  const rounds = 5;
  for (let round = 0; round < rounds; round++) {
    const order = FACTORY_VARIANTS.map((_, i) => FACTORY_VARIANTS[(i + round) % FACTORY_VARIANTS.length] as FactoryVariant);
    for (const v of order) {
      const { stdout } = await run(process.execPath, ['--expose-gc', VARIANT_SCRIPT, v, String(count)], { maxBuffer: 1 << 20 });
      results[v].push(JSON.parse(stdout.trim().split('\n').pop() as string) as FactoryResult);
    }
  }
  const base = median(results.inversify.map((r) => r.createMs));
  printTable(
    `Factories: ${count.toLocaleString('en')} instances of one class referencing one service (each variant in a fresh process, interleaved; medians per instance)`,
    ['', 'create', 'create ÷ inversify', 'dispose', 'heap / instance'],
    FACTORY_VARIANTS.map((v) => {
      const create = median(results[v].map((r) => r.createMs));
      return [
        v === 'inversify' ? 'inversify get (transient)' : v === 'component-factory' ? 'Lattice newInstance' : 'Lattice factory configuration',
        us(create / count),
        `${(create / base).toFixed(1)}x`,
        v === 'inversify' ? '' : us(median(results[v].map((r) => r.disposeMs)) / count),
        kib(median(results[v].map((r) => r.heapPerInstance))),
      ];
    }),
  );
}
