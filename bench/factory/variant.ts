/**
 * One variant of the factory benchmark, in a fresh process of its own (the parent runs it):
 * `node --expose-gc dist/bench/factory/variant.js <variant> <count>`. Makes `count` instances of one
 * class that references one service, then disposes them; prints one JSON line: time to make them, time
 * to dispose them, retained heap per instance.
 *
 * - `inversify`: the class bound once (transient), `get` per instance: an object with its dependency
 *   injected, nothing tracked (what a factory costs without a component model).
 * - `component-factory`: `newInstance(properties)` of a Lattice component factory, `dispose()` each.
 * - `factory-configurations`: a configuration `<factoryPid>~<n>` written per instance (in memory), deleted each.
 */
import 'reflect-metadata';
import { heapUsed } from '../table.js';
import type { FactoryResult, FactoryVariant } from './FactoryVariant.js';

const [variant, countText] = process.argv.slice(2) as [FactoryVariant, string];
const count = Number(countText);
interface Clock {
  now(): number;
}

async function measure(make: () => Promise<void> | void, dispose: () => Promise<void> | void): Promise<FactoryResult> {
  const before = heapUsed();
  let started = performance.now();
  await make();
  const createMs = performance.now() - started;
  const heapPerInstance = (heapUsed() - before) / count;
  started = performance.now();
  await dispose();
  return { createMs, disposeMs: performance.now() - started, heapPerInstance };
}

let result: FactoryResult;
if (variant === 'inversify') {
  const { Container, inject, injectable } = await import('inversify');
  const CLOCK = Symbol('Clock');
  @injectable()
  class Session {
    constructor(@inject(CLOCK) readonly clock: Clock) {}
  }
  const container = new Container();
  container.bind(CLOCK).toConstantValue({ now: () => 1 });
  container.bind(Session).toSelf();
  let sessions: Session[] = [];
  result = await measure(
    () => {
      for (let i = 0; i < count; i++) sessions.push(container.get(Session));
    },
    () => {
      sessions = [];
    },
  );
} else {
  const lattice = await import('../../src/index.js');
  const { pino } = await import('pino');
  const ClockService = lattice.serviceToken<Clock>('bench.Clock');
  const container = new lattice.Container({ logger: pino({ level: 'silent' }) });
  container.registerService(ClockService, { now: () => 1 });
  class Session {
    constructor(readonly clock: Clock) {}
  }
  lattice.Component(variant === 'component-factory' ? { name: 'session', factory: 'session' } : { name: 'session', factoryPid: 'session' })(Session);
  lattice.Reference({ service: ClockService })(Session, undefined, 0);
  container.register(Session);
  await container.start();
  if (variant === 'component-factory') {
    const factory = (await container.getService(lattice.ComponentFactoryService)) as import('../../src/index.js').ComponentFactory;
    let handles: import('../../src/index.js').ComponentInstance[] = [];
    result = await measure(
      async () => {
        handles = await Promise.all(Array.from({ length: count }, (_, i) => factory.newInstance({ user: `u${i}` })));
      },
      async () => {
        await Promise.all(handles.map((h) => h.dispose()));
      },
    );
  } else {
    result = await measure(
      async () => {
        await Promise.all(Array.from({ length: count }, (_, i) => container.config.update(`session~u${i}`, { user: `u${i}` })));
        await container.settled();
      },
      async () => {
        await Promise.all(Array.from({ length: count }, (_, i) => container.config.delete(`session~u${i}`)));
        await container.settled();
      },
    );
    if (container.components().length !== 1) throw new Error(`factory-configurations: ${container.components().length - 1} instances left`);
  }
  await container.stop();
}
console.log(JSON.stringify(result));
