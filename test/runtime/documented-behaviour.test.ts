import { describe, expect, test } from 'vitest';
import { Activate, Component, Reference, serviceToken } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';
import { componentModule, writeFiles } from '../helpers/distribution.js';
import { tempHomes } from '../helpers/tempHome.js';

const Store = serviceToken<{ name: string }>('test.documented.Store');

/** What the README promises about details users asked about, each checked. */
describe('documented behaviour', () => {
  test('a stopped container can be started again: its components come back, and its home is read again', async () => {
    const homes = tempHomes();
    const home = await homes.make();
    await writeFiles(home, { 'config/again.json': { colour: 'red' }, 'deploy/dropped.js': componentModule({ name: 'dropped' }) });
    let activations = 0;
    @Component({ name: 'again' })
    class Again {
      @Activate activate(): void {
        activations++;
      }
    }
    const { container } = testContainer({ home });
    container.register(Again);
    await container.start();
    expect(container.component('dropped').state).toBe('active');
    await container.stop();
    expect(container.component('again').state).toBe('disabled');
    await writeFiles(home, { 'config/again.json': { colour: 'blue' } });
    await container.start();
    expect(container.component('again')).toMatchObject({ state: 'active', properties: { colour: 'blue' } });
    expect(container.component('dropped').state).toBe('active');
    expect(activations).toBe(2);
    await container.stop();
    await homes.cleanup();
  });

  test('getService of a delayed provider whose activation fails is undefined; the component is failed-activation', async () => {
    @Component({ name: 'fragile', service: Store })
    class Fragile {
      @Activate activate(): void {
        throw new Error('disk full');
      }
    }
    const { container } = testContainer();
    container.register(Fragile);
    await container.start();
    expect(await container.getService(Store)).toBeUndefined();
    expect(container.component('fragile')).toMatchObject({ state: 'failed-activation', failure: { code: 'ACTIVATION_FAILED', message: 'disk full' } });
    await container.stop();
  });

  test('async bind methods are awaited before activate; a bind that throws is logged and the component still activates', async () => {
    const seen: string[] = [];
    @Component({ name: 'binder' })
    class Binder {
      @Reference({ service: Store, bind: 'bindStore' }) store!: { name: string };
      @Reference({ service: Store, name: 'second', bind: 'bindSecond' }) other!: { name: string };
      async bindStore(store: { name: string }): Promise<void> {
        await new Promise((resolve) => setImmediate(resolve));
        seen.push(`bound ${store.name}`);
      }
      bindSecond(): void {
        throw new Error('bind blew up');
      }
      @Activate activate(): void {
        seen.push(`activate with ${this.store.name} and ${this.other.name}`);
      }
    }
    const { container, errors } = testContainer();
    container.registerService(Store, { name: 'the store' });
    container.register(Binder);
    await container.start();
    expect(seen).toEqual(['bound the store', 'activate with the store and the store']);
    expect(container.component('binder').state).toBe('active');
    expect(errors().map((e) => e.msg)).toContain('bind method bindSecond() of binder threw: bind blew up');
    await container.stop();
  });

  test('setProperties replaces the properties: keys left out are gone', async () => {
    const { container } = testContainer();
    const registration = container.registerService(Store, { name: 's' }, { zone: 'eu', role: 'primary' });
    await registration.setProperties({ role: 'replica' });
    expect(registration.properties).toEqual({ role: 'replica', 'service.id': registration.id, objectClass: ['test.documented.Store'] });
  });

  test('component(name) is plain data that survives JSON, with the documented fields', async () => {
    @Component({ name: 'user' })
    class User {
      @Reference({ service: Store }) store!: unknown;
    }
    const { container } = testContainer();
    container.registerService(Store, { name: 's' });
    container.register(User);
    await container.start();
    const info = container.component('user');
    expect(JSON.parse(JSON.stringify(info))).toEqual(info);
    expect(Object.keys(info).sort()).toEqual(
      ['activatedAt', 'activationMs', 'configurationPid', 'configurationPolicy', 'enabled', 'id', 'immediate', 'implementation', 'name', 'properties', 'references', 'services', 'state', 'useCount', 'why'].sort(),
    );
    expect(Object.keys(info.references[0] ?? {}).sort()).toEqual(['bound', 'candidates', 'cardinality', 'name', 'policy', 'policyOption', 'satisfied', 'service'].sort());
    await container.stop();
  });
});
