import { benchCli } from './cli.bench.js';
import { benchCluster } from './cluster.bench.js';
import { benchConfig } from './config.bench.js';
import { benchFactory } from './factory.bench.js';
import { benchFeatures } from './features.bench.js';
import { benchRuntime } from './runtime.bench.js';

const all: Record<string, () => Promise<void>> = {
  runtime: () => benchRuntime([1_000, 10_000]),
  config: () => benchConfig(),
  factory: () => benchFactory(1_000),
  features: () => benchFeatures(),
  cli: () => benchCli(),
  cluster: () => benchCluster(),
};

const chosen = process.argv.slice(2);
for (const [name, run] of Object.entries(all)) {
  if (chosen.length === 0 || chosen.includes(name)) await run();
}
