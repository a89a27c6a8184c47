/**
 * One variant of the runtime benchmark, in a fresh process of its own (the parent runs it):
 * `node --expose-gc dist/bench/runtime/variant.js <variant> <module file> <size> <churn node>`.
 * Prints one JSON line: activation and stop time, time in GC during activation, retained heap per
 * component, and (Lattice) the churn of one provider.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { dependentsOf } from '../graph.js';
import type { Variant } from './generateModule.js';

interface Generated {
  readonly classes: readonly (new (...args: unknown[]) => object)[];
  readonly tokens: readonly (string | symbol)[];
  readonly dependencies: readonly (readonly number[])[];
}

export interface VariantResult {
  readonly variant: Variant | 'lattice-metrics';
  readonly importMs: number;
  readonly activationMs: number;
  readonly gcMs: number;
  readonly heapPerComponent: number;
  readonly stopMs: number;
  readonly churn?: { readonly affected: number; readonly touched: number; readonly removeMs: number; readonly readdMs: number };
}

/** `lattice-metrics`: Lattice with `enableMetrics()`, on Lattice's module (prom-client loaded before the clock, as every library is). */
type Run = Variant | 'lattice-metrics';
const [variant, file, sizeText, churnText] = process.argv.slice(2) as [Run, string, string, string];
const size = Number(sizeText);
const gc = (globalThis as { gc?: () => void }).gc;
const heap = (): number => {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
};

// Everything each variant needs is loaded before the clock starts: only its module and its work are timed.
const lattice = variant === 'lattice' || variant === 'lattice-metrics' ? await import('../../src/index.js') : undefined;
if (variant === 'lattice-metrics') await import('prom-client');
const inversify = variant === 'inversify' ? await import('inversify') : undefined;
if (variant === 'nestjs') await import('reflect-metadata');
const nest = variant === 'nestjs' ? { core: await import('@nestjs/core'), common: await import('@nestjs/common') } : undefined;
const { pino } = await import('pino');

// GC entries come later than the collections they time: kept with their times, summed for the activation's span.
const collections: { start: number; duration: number }[] = [];
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) collections.push({ start: entry.startTime, duration: entry.duration });
});
observer.observe({ entryTypes: ['gc'] });

const heapBefore = heap();
let started = performance.now();
const generated = (await import(pathToFileURL(file).href)) as Generated;
const importMs = performance.now() - started;

// Lattice's container is made (and its metrics turned on, a one-time setup like an import) before the
// clock starts: what is timed is register + start.
const latticeMade = lattice ? new lattice.Container({ logger: pino({ level: 'silent' }) }) : undefined;
if (variant === 'lattice-metrics') await latticeMade?.enableMetrics();
const activationStart = performance.now();
started = activationStart;
let stop: () => Promise<void>;
let churn: VariantResult['churn'];
let latticeContainer: InstanceType<NonNullable<typeof lattice>['Container']> | undefined;
if (variant === 'bare') {
  const instances: object[] = [];
  generated.classes.forEach((Class, i) => instances.push(new Class(...(generated.dependencies[i] ?? []).map((d) => instances[d]))));
  stop = () => {
    instances.length = 0;
    return Promise.resolve();
  };
} else if (variant === 'inversify' && inversify) {
  const container = new inversify.Container({ defaultScope: 'Singleton' });
  generated.classes.forEach((Class, i) => container.bind(generated.tokens[i] as string).to(Class));
  for (const token of generated.tokens) container.get(token);
  stop = () => {
    container.unbindAll();
    return Promise.resolve();
  };
} else if (variant === 'nestjs' && nest) {
  class AppModule {}
  nest.common.Module({ providers: generated.classes.map((Class, i) => ({ provide: generated.tokens[i] as string, useClass: Class })) })(AppModule);
  // (Nest types its options as a class; a plain object is what its documentation passes.)
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
  const app = await nest.core.NestFactory.createApplicationContext(AppModule, { logger: false });
  await app.init();
  stop = () => app.close();
} else if ((variant === 'lattice' || variant === 'lattice-metrics') && latticeMade) {
  const container = latticeMade;
  container.register(...(generated.classes as unknown as Parameters<typeof container.register>));
  await container.start();
  stop = () => container.stop();
  if (variant === 'lattice') latticeContainer = container;
} else throw new Error(`unknown variant ${variant}`);
const activationEnd = performance.now();
const activationMs = activationEnd - started;
await new Promise((resolve) => setTimeout(resolve, 100));
const gcMs = collections.filter((c) => c.start >= activationStart && c.start < activationEnd).reduce((sum, c) => sum + c.duration, 0);
const heapPerComponent = (heap() - heapBefore) / size;

if (latticeContainer) {
  const container = latticeContainer;
  const active = container.components().filter((c) => c.state === 'active').length;
  if (active !== size) throw new Error(`only ${active} of ${size} components became active`);
  // Take one provider away and bring it back: only it and its dependents may change state.
  const provider = Number(churnText);
  const affected = dependentsOf({ size, dependencies: generated.dependencies }, provider);
  const touched = new Set<string>();
  const unsubscribe = container.on((event) => {
    if (event.type === 'component') touched.add(event.name);
  });
  const strays = (step: string): void => {
    const stray = [...touched].filter((name) => !affected.has(Number(name.slice('node-'.length))));
    if (stray.length > 0) throw new Error(`components outside the affected set changed on ${step}: ${stray.slice(0, 5).join(', ')}`);
  };
  started = performance.now();
  await container.disable(`node-${provider}`);
  const removeMs = performance.now() - started;
  strays('remove');
  started = performance.now();
  await container.enable(`node-${provider}`);
  const readdMs = performance.now() - started;
  strays('re-add');
  unsubscribe();
  churn = { affected: affected.size, touched: touched.size, removeMs, readdMs };
}
started = performance.now();
await stop();
const stopMs = performance.now() - started;
observer.disconnect();

const result: VariantResult = { variant, importMs, activationMs, gcMs, heapPerComponent, stopMs, ...(churn && { churn }) };
process.stdout.write(`${JSON.stringify(result)}\n`);
