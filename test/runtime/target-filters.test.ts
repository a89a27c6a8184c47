import { describe, expect, test } from 'vitest';
import { Activate, Component, Reference, serviceToken, type ServiceProperties } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';

interface Db {
  readonly id: string;
}
const DbService = serviceToken<Db>('test.target.Db');

describe('target filters', () => {
  test('only providers matching the target bind', async () => {
    @Component({ name: 'reader' })
    class Reader {
      @Reference({ service: DbService, cardinality: '0..n', target: '(&(role=replica)(zone=eu*)(!(disk<=10)))' }) dbs!: Db[];
    }
    const { container } = testContainer();
    container.register(Reader);
    container.registerService(DbService, { id: 'primary' }, { role: 'primary', zone: 'eu-west', disk: 100 });
    const replicaEu = container.registerService(DbService, { id: 'replica-eu' }, { role: 'replica', zone: 'eu-west', disk: 100 });
    container.registerService(DbService, { id: 'replica-small' }, { role: 'replica', zone: 'eu-north', disk: 5 });
    container.registerService(DbService, { id: 'replica-us' }, { role: 'replica', zone: 'us-east', disk: 100 });
    const tagged = container.registerService(DbService, { id: 'tagged' }, { role: ['replica', 'backup'], zone: 'eu-central' });
    await container.start();
    const bound = container.component('reader').references[0]?.bound.map((b) => b.serviceId);
    expect(bound).toEqual([replicaEu.id, tagged.id]);
    await container.stop();
  });

  test('a static reference whose provider stops matching deactivates the component; matching again reactivates it', async () => {
    let activations = 0;
    @Component({ name: 'writer' })
    class Writer {
      @Reference({ service: DbService, target: '(role=primary)' }) db!: Db;
      @Activate activate(): void {
        activations++;
      }
    }
    const { container } = testContainer();
    container.register(Writer);
    const db = container.registerService(DbService, { id: 'a' }, { role: 'primary' });
    await container.start();
    expect(container.component('writer').state).toBe('active');
    await db.setProperties({ role: 'replica' });
    expect(container.component('writer').state).toBe('unsatisfied-reference');
    await db.setProperties({ role: 'primary' });
    await container.whenActive('writer');
    expect(activations).toBe(2);
    await container.stop();
  });

  test('a dynamic reference unbinds a provider that stops matching, and `updated` is called for one that still matches', async () => {
    const calls: string[] = [];
    @Component({ name: 'watcher' })
    class Watcher {
      @Reference({ service: DbService, cardinality: '0..n', policy: 'dynamic', target: '(role=replica)', bind: 'bindDb', unbind: 'unbindDb', updated: 'updatedDb' })
      dbs!: Db[];
      bindDb(db: Db): void {
        calls.push(`bind ${db.id}`);
      }
      unbindDb(db: Db): void {
        calls.push(`unbind ${db.id}`);
      }
      updatedDb(db: Db, properties: ServiceProperties): void {
        calls.push(`updated ${db.id} lag=${String(properties.lag)}`);
      }
    }
    const { container } = testContainer();
    container.register(Watcher);
    const a = container.registerService(DbService, { id: 'a' }, { role: 'replica', lag: 1 });
    const b = container.registerService(DbService, { id: 'b' }, { role: 'replica', lag: 1 });
    await container.start();
    await a.setProperties({ role: 'replica', lag: 7 });
    await b.setProperties({ role: 'primary' });
    expect(calls).toEqual(['bind a', 'bind b', 'updated a lag=7', 'unbind b']);
    expect(container.component('watcher').state).toBe('active');
    await container.stop();
  });

  test('`updated` is called on a static reference too, without a new instance', async () => {
    const calls: string[] = [];
    let activations = 0;
    @Component({ name: 'holder' })
    class Holder {
      @Reference({ service: DbService, updated: 'changed' }) db!: Db;
      @Activate activate(): void {
        activations++;
      }
      changed(db: Db, properties: ServiceProperties): void {
        calls.push(`${db.id}:${String(properties.version)}`);
      }
    }
    const { container } = testContainer();
    container.register(Holder);
    const db = container.registerService(DbService, { id: 'x' }, { version: 1 });
    await container.start();
    await db.setProperties({ version: 2 });
    expect(calls).toEqual(['x:2']);
    expect(activations).toBe(1);
    await container.stop();
  });
});
