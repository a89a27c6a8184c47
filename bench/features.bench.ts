import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Component, Container, Reference, serviceToken, type ComponentClass } from '../src/index.js';
import { heapUsed, kib, ms, printTable } from './table.js';

const BASE = 10_000;
const FEATURE = 1_000;

/** A module of `count` plain-JavaScript components, each using one base service and providing its own. */
function bulkModule(count: number): string {
  const lines = ["import { Component, Reference, serviceToken } from '@lattice-scr/lattice';"];
  for (let i = 0; i < count; i++) {
    lines.push(`export class Bulk${i} {}`);
    lines.push(`Reference({ service: serviceToken('bench.features.base.${(i * 7) % BASE}') })(Bulk${i}.prototype, 'base');`);
    lines.push(`Component({ name: 'bulk-${i}', service: serviceToken('bench.features.bulk.${i}'), immediate: true })(Bulk${i});`);
  }
  return `${lines.join('\n')}\n`;
}

const CYCLES = 1_000;
const WARM_UP = 1_000;

/**
 * Heap growth per install/uninstall cycle of a 10-component feature, against registering and
 * unregistering the same classes directly: after a warm-up, over 1,000 cycles, after full collections.
 */
async function benchCycles(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'lattice-bench-cycles-'));
  await writeFile(join(home, 'small.js'), bulkModule(10));
  await writeFile(join(home, 'features.json'), JSON.stringify({ features: [{ name: 'small', version: '1.0.0', components: ['small.js'] }] }));
  const container = new Container({ home, deploy: false, logger: pino({ level: 'silent' }) });
  const base: ComponentClass[] = Array.from({ length: BASE }, (_, i) => {
    const Base = class {};
    Component({ name: `base-${i}`, service: serviceToken(`bench.features.base.${i}`), immediate: true })(Base);
    return Base;
  });
  container.register(...base);
  await container.start();
  const measure = async (cycle: () => Promise<void>): Promise<{ perCycle: number; ms: number }> => {
    for (let i = 0; i < WARM_UP; i++) await cycle();
    const before = heapUsed();
    const started = performance.now();
    for (let i = 0; i < CYCLES; i++) await cycle();
    const elapsed = performance.now() - started;
    return { perCycle: (heapUsed() - before) / CYCLES, ms: elapsed / CYCLES };
  };
  const dry = await measure(async () => {
    await container.install('small', { dryRun: true });
  });
  const installs = await measure(async () => {
    await container.install('small');
    await container.uninstall('small');
  });
  const classes = (await container.install('small', { dryRun: true })).components.length;
  // The same components, as classes made here: what the runtime alone keeps per cycle.
  const smallClasses: ComponentClass[] = Array.from({ length: classes }, (_, i) => {
    const Small = class {};
    Reference({ service: serviceToken(`bench.features.base.${(i * 7) % BASE}`) })(Small.prototype, 'base');
    Component({ name: `small-${i}`, service: serviceToken(`bench.features.small.${i}`), immediate: true })(Small);
    return Small;
  });
  const direct = await measure(async () => {
    const names = container.register(...smallClasses);
    await container.settled();
    await container.unregister(...names);
  });
  await container.stop();
  await rm(home, { recursive: true, force: true });
  const signed = (bytes: number): string => `${bytes < 0 ? '-' : '+'}${kib(Math.abs(bytes))}`;
  printTable(`Heap per cycle, ${CYCLES.toLocaleString('en')} cycles of a ${classes}-component feature (after ${WARM_UP} to warm up, full GC before and after)`, ['cycle', 'heap per cycle', 'time per cycle'], [
    ['install + uninstall', signed(installs.perCycle), ms(installs.ms)],
    ['install --dry-run', signed(dry.perCycle), ms(dry.ms)],
    ['register + unregister the same classes (baseline)', signed(direct.perCycle), ms(direct.ms)],
  ]);
}

/** Install and uninstall of a 1,000-component feature in a container already running 10,000. */
export async function benchFeatures(): Promise<void> {
  await benchCycles();
  const home = await mkdtemp(join(tmpdir(), 'lattice-bench-features-'));
  await writeFile(join(home, 'bulk.js'), bulkModule(FEATURE));
  await writeFile(join(home, 'features.json'), JSON.stringify({ features: [{ name: 'bulk', version: '1.0.0', components: ['bulk.js'] }] }));
  const container = new Container({ home, deploy: false, logger: pino({ level: 'silent' }) });
  const base: ComponentClass[] = Array.from({ length: BASE }, (_, i) => {
    const Base = class {};
    Component({ name: `base-${i}`, service: serviceToken(`bench.features.base.${i}`), immediate: true })(Base);
    return Base;
  });
  container.register(...base);
  await container.start();

  const touched = new Set<string>();
  container.on((e) => {
    if (e.type === 'component') touched.add(e.name);
  });
  let started = performance.now();
  const report = await container.install('bulk');
  const installMs = performance.now() - started;
  const installTouched = [...touched];
  touched.clear();
  started = performance.now();
  await container.uninstall('bulk');
  const uninstallMs = performance.now() - started;
  const uninstallTouched = [...touched];
  await container.stop();
  await rm(home, { recursive: true, force: true });

  const foreign = [...installTouched, ...uninstallTouched].filter((name) => !name.startsWith('bulk-'));
  if (foreign.length > 0) throw new Error(`components outside the feature changed state: ${foreign.slice(0, 5).join(', ')}`);
  if (report.components.some((c) => c.state !== 'active')) throw new Error('not every component of the feature became active');
  printTable(`Feature with ${FEATURE.toLocaleString('en')} components, in a container running ${BASE.toLocaleString('en')}`, ['operation', 'time', 'components touched', 'of them the feature\'s'], [
    ['install (import, register, activate)', ms(installMs), String(installTouched.length), String(installTouched.filter((n) => n.startsWith('bulk-')).length)],
    ['uninstall', ms(uninstallMs), String(uninstallTouched.length), String(uninstallTouched.filter((n) => n.startsWith('bulk-')).length)],
  ]);
}
