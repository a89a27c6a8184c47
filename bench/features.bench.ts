import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Component, Container, serviceToken, type ComponentClass } from '../src/index.js';
import { ms, printTable } from './table.js';

const BASE = 10_000;
const FEATURE = 1_000;

/** A module of `count` plain-JavaScript components, each using one base service and providing its own. */
function bulkModule(count: number): string {
  const lines = ["import { Component, Reference, serviceToken } from 'lattice';"];
  for (let i = 0; i < count; i++) {
    lines.push(`export class Bulk${i} {}`);
    lines.push(`Reference({ service: serviceToken('bench.features.base.${(i * 7) % BASE}') })(Bulk${i}.prototype, 'base');`);
    lines.push(`Component({ name: 'bulk-${i}', service: serviceToken('bench.features.bulk.${i}'), immediate: true })(Bulk${i});`);
  }
  return `${lines.join('\n')}\n`;
}

/** Install and uninstall of a 1,000-component feature in a container already running 10,000. */
export async function benchFeatures(): Promise<void> {
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
