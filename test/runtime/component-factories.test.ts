import { afterEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import {
  Activate,
  Component,
  COMPONENT_FACTORY,
  ComponentFactoryService,
  Deactivate,
  Reference,
  serviceToken,
  type ComponentContext,
  type ComponentFactory,
  type ComponentInstance,
  type Container,
  type DeactivationContext,
} from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';
import { Recorder } from '../helpers/recorder.js';

interface Clock {
  now(): number;
}
const ClockService = serviceToken<Clock>('test.componentFactory.Clock');
interface Session {
  readonly user: string;
}
const SessionService = serviceToken<Session>('test.componentFactory.Session');

const running: Container[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

/** A component factory "session" whose instances need a clock; records what each object saw. */
function sessionFactory(options: { clockCardinality?: '1..1' | '0..1' } = {}) {
  const seen = new Recorder<{ event: string; name: string; user?: unknown }>();
  @Component({ name: 'session', factory: 'session', service: SessionService, properties: { kind: 'web' }, configSchema: z.object({ user: z.string().default('nobody'), ttl: z.number().default(60) }) })
  class UserSession implements Session {
    user = '';
    @Reference({ service: ClockService, cardinality: options.clockCardinality ?? '1..1' }) clock: Clock | undefined;
    @Activate activate(context: ComponentContext): void {
      this.user = String(context.config.user);
      seen.push({ event: 'activate', name: context.name, user: context.config.user });
    }
    @Deactivate deactivate(context: DeactivationContext): void {
      seen.push({ event: `deactivate:${context.reason}`, name: context.name });
    }
  }
  return { UserSession, seen };
}

/** A consumer holding the session factory, as a component would. */
function factoryUser() {
  const holder: { factory?: ComponentFactory<Session> } = {};
  @Component({ name: 'user' })
  class FactoryUser {
    @Reference({ service: ComponentFactoryService, target: '(component.factory=session)' }) factory!: ComponentFactory<Session>;
    @Activate activate(): void {
      holder.factory = this.factory;
    }
  }
  return { FactoryUser, holder };
}

async function started() {
  const t = testContainer();
  running.push(t.container);
  const { UserSession, seen } = sessionFactory();
  const { FactoryUser, holder } = factoryUser();
  const clock = t.container.registerService(ClockService, { now: () => 1 });
  t.container.register(UserSession, FactoryUser);
  await t.container.start();
  await t.container.whenActive('user');
  return { ...t, seen, clock, factory: holder.factory as ComponentFactory<Session> };
}

describe('component factories: @Component({ factory }) and ComponentFactoryService.newInstance', () => {
  test('the template registers a ComponentFactory service; newInstance makes an active instance with the properties given', async () => {
    const { container, factory, seen } = await started();
    const template = container.component('session');
    expect(template.state).toBe('active');
    expect(template.services).toEqual(['lattice.ComponentFactory']);
    expect(template.properties[COMPONENT_FACTORY]).toBe('session');
    expect(factory.factory).toBe('session');

    const alice = await factory.newInstance({ user: 'alice' });
    const bob = await factory.newInstance({ user: 'bob' });
    expect([alice.name, bob.name]).toEqual(['session#1', 'session#2']);
    expect(alice.instance.user).toBe('alice');
    expect(alice.disposed).toBe(false);
    const info = container.component('session#1');
    expect(info.state).toBe('active');
    expect(info.instanceOf).toBe('session');
    expect(info.properties).toMatchObject({ kind: 'web', user: 'alice', 'component.name': 'session#1' });
    expect(container.component('session').factory).toEqual({ kind: 'component', id: 'session', instances: ['session#1', 'session#2'] });
    // Each instance provides its service with its own properties.
    expect(await container.getService(SessionService, '(user=bob)')).toBe(bob.instance);
    expect(seen.items.map((e) => [e.event, e.name, e.user])).toEqual([
      ['activate', 'session#1', 'alice'],
      ['activate', 'session#2', 'bob'],
    ]);

    await alice.dispose();
    expect(alice.disposed).toBe(true);
    expect(container.hasComponent('session#1')).toBe(false);
    expect(seen.items.at(-1)).toEqual({ event: 'deactivate:disposed', name: 'session#1' });
    expect(container.component('session').factory?.instances).toEqual(['session#2']);
  });

  test('an instance whose mandatory reference goes away is disposed; the template loses its service and leaves the rest be', async () => {
    const { container, factory, clock, seen } = await started();
    const one = await factory.newInstance({ user: 'one' });
    await clock.unregister();
    await container.settled();
    expect(one.disposed).toBe(true);
    expect(container.hasComponent('session#1')).toBe(false);
    expect(seen.items.at(-1)).toEqual({ event: 'deactivate:reference-unsatisfied', name: 'session#1' });
    // The template needs a clock too: unsatisfied, it takes the factory service away (its user goes with it).
    expect(container.component('session').state).toBe('unsatisfied-reference');
    expect(container.component('user').state).toBe('unsatisfied-reference');
    // The consumer's why follows the factory it targets to the cause, rather than blaming the target.
    container.registerService(ComponentFactoryService, { factory: 'other', newInstance: () => Promise.reject(new Error('no')) }, { [COMPONENT_FACTORY]: 'other' });
    expect(container.component('user').why).toEqual([
      'Reference "factory" (1..1 lattice.ComponentFactory, target (component.factory=session)) has no service: session is unsatisfied-reference ("clock" needs test.componentFactory.Clock, which nothing provides).',
    ]);
    await expect(factory.newInstance({ user: 'late' })).rejects.toMatchObject({ code: 'FACTORY_INACTIVE', message: expect.stringContaining('Component factory session is unsatisfied-reference') as string });

    container.registerService(ClockService, { now: () => 2 });
    await container.whenActive('user');
    expect(container.component('session').state).toBe('active');
  });

  test('an instance that cannot activate is not kept: newInstance rejects saying why', async () => {
    const { container, factory } = await started();
    await expect(factory.newInstance({ user: 7 })).rejects.toMatchObject({
      code: 'FACTORY_INSTANCE_FAILED',
      message: expect.stringMatching(/^Component factory session could not activate session#1: configuration "session" with the instance's own properties over it: \$\.user: /) as string,
    });
    expect(container.hasComponent('session#1')).toBe(false);
    await expect(factory.newInstance(null as unknown as Record<string, unknown>)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  test('disabling or unregistering the template disposes its instances', async () => {
    const { container, factory } = await started();
    const handles: ComponentInstance<Session>[] = [await factory.newInstance({ user: 'a' }), await factory.newInstance({ user: 'b' })];
    await container.disable('session');
    expect(handles.map((h) => h.disposed)).toEqual([true, true]);
    expect(container.components().map((c) => c.name).sort()).toEqual(['session', 'user']);

    await container.enable('session');
    await container.whenActive('user');
    const again = await factory.newInstance({ user: 'c' });
    expect(again.name).toBe('session#3');
    await container.unregister('session');
    expect(again.disposed).toBe(true);
    expect(container.components().map((c) => c.name)).toEqual(['user']);
  });

  test('what would reactivate an instance disposes it: a restart, a configuration change without @Modified', async () => {
    const { container, factory, seen } = await started();
    const restarted = await factory.newInstance({ user: 'a' });
    expect(await container.restart('session#1')).toMatchObject({
      name: 'session#1',
      state: 'disabled',
      instanceOf: 'session',
      why: ["session#1 was disposed: a component factory's instance is removed rather than deactivated."],
    });
    expect(restarted.disposed).toBe(true);
    expect(seen.items.at(-1)).toEqual({ event: 'deactivate:restart', name: 'session#1' });

    const reconfigured = await factory.newInstance({ user: 'b' });
    const templateService = container.component('session').serviceId;
    await container.config.update('session', { ttl: 5 });
    await container.settled();
    expect(reconfigured.disposed).toBe(true);
    expect(seen.items.at(-1)).toEqual({ event: 'deactivate:configuration-changed', name: 'session#2' });
    // The template takes the change in place: its service stays, with the configuration in its properties.
    expect(container.component('session')).toMatchObject({ state: 'active', serviceId: templateService, properties: { ttl: 5 } });
    expect((await factory.newInstance({ user: 'c' })).instance.user).toBe('c');
  });

  test("a change of the template's provider leaves its service be; a required configuration it lacks withholds it", async () => {
    const { container, clock } = await started();
    const serviceId = container.component('session').serviceId;
    container.registerService(ClockService, { now: () => 3 }, { 'service.ranking': 5 });
    await clock.unregister();
    await container.settled();
    expect(container.component('session')).toMatchObject({ state: 'active', serviceId });

    const t = testContainer();
    running.push(t.container);
    @Component({ name: 'strict', factory: 'strict', configurationPolicy: 'require' })
    class Strict {}
    t.container.register(Strict);
    await t.container.start();
    expect(t.container.component('strict').state).toBe('unsatisfied-configuration');
    expect(await t.container.getService(ComponentFactoryService)).toBeUndefined();
    await t.container.config.update('strict', {});
    await t.container.whenActive('strict');
    expect(await t.container.getService(ComponentFactoryService, '(component.factory=strict)')).toBeDefined();
  });

  test("the template's configuration is the instances' base: its schema applies to each instance, with the instance's properties over it", async () => {
    const { container } = await started();
    // A value the schema requires and only newInstance gives must not hold the factory back.
    @Component({ name: 'login', factory: 'login', configSchema: z.object({ user: z.string(), dsn: z.string().meta({ secret: true }).optional() }) })
    class Login {
      user = '';
      @Activate activate(context: ComponentContext): void {
        this.user = String(context.config.user);
      }
    }
    container.register(Login);
    await container.whenActive('login');
    const loginFactory = (await container.getService(ComponentFactoryService, '(component.factory=login)')) as ComponentFactory<Login>;
    await container.config.update('login', { dsn: 'postgres://u:pw@h' });
    const ann = await loginFactory.newInstance({ user: 'ann' });
    expect(ann.instance.user).toBe('ann');
    expect(container.shownConfiguration(container.config.get('login') as NonNullable<ReturnType<typeof container.config.get>>).values).toEqual({ dsn: '••••' });
    // A write to the template's PID is checked by each instance, with its own properties over it.
    await expect(container.config.update('login', { dsn: 5 })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('component login#1: $.dsn: ') as string });
    // ann's own user is over the file's: unchanged for it, it stays; a new dsn changes it (no @Modified: disposed).
    await container.config.update('login', { dsn: 'postgres://u:pw@h', user: 'carl' });
    await container.settled();
    expect(ann.disposed).toBe(false);
    await container.config.update('login', { dsn: 'postgres://u:pw@h2' });
    await container.settled();
    expect(ann.disposed).toBe(true);
    // The template's own configuration shows in its service properties, secrets masked.
    expect(container.component('login').properties).toMatchObject({ dsn: '••••', 'component.factory': 'login' });
    const bo = await loginFactory.newInstance({ user: 'bo' });
    expect(bo.instance.user).toBe('bo');
    expect(container.component(bo.name).properties).toMatchObject({ dsn: '••••', user: 'bo' });
  });

  test('with configurationPolicy "ignore", an instance still gets its properties', async () => {
    const { container } = await started();
    @Component({ name: 'plain', factory: 'plain', configurationPolicy: 'ignore' })
    class Plain {
      config: Record<string, unknown> = {};
      @Activate activate(context: ComponentContext): void {
        this.config = { ...context.config };
      }
    }
    container.register(Plain);
    await container.whenActive('plain');
    const plain = (await container.getService(ComponentFactoryService, '(component.factory=plain)')) as ComponentFactory<Plain>;
    const one = await plain.newInstance({ colour: 'red' });
    expect(one.instance.config).toEqual({ colour: 'red' });
    expect(container.component(one.name).properties.colour).toBe('red');
    await expect(plain.newInstance({ n: 1n })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('plain data (JSON values)') as string });
  });

  test('dispose() resolves once the instance is gone, also when a disposal is under way', async () => {
    const { container, factory } = await started();
    const handle = await factory.newInstance({ user: 'a' });
    void handle.dispose();
    await handle.dispose();
    expect(container.hasComponent(handle.name)).toBe(false);
  });

  test('an owner that holds its instances dynamically can dispose them in its @Deactivate without waiting on itself', async () => {
    const t = testContainer({ deactivationTimeoutMs: 60_000 });
    running.push(t.container);
    const { UserSession } = sessionFactory({ clockCardinality: '0..1' });
    @Component({ name: 'owner' })
    class Owner {
      @Reference({ service: ComponentFactoryService, target: '(component.factory=session)' }) sessions!: ComponentFactory<Session>;
      @Reference({ service: SessionService, cardinality: '0..n', policy: 'dynamic' }) live: Session[] = [];
      private handles: ComponentInstance<Session>[] = [];
      @Activate async activate(): Promise<void> {
        this.handles = [await this.sessions.newInstance({ user: 'x' }), await this.sessions.newInstance({ user: 'y' })];
      }
      @Deactivate async deactivate(): Promise<void> {
        await Promise.all(this.handles.map((h) => h.dispose()));
      }
    }
    t.container.register(UserSession, Owner);
    await t.container.start();
    await t.container.whenActive('owner');
    expect(t.container.component('owner').references.find((r) => r.name === 'live')?.bound).toHaveLength(2);
    // Without letting go on the spot, this waits for the deactivation timeout (60 s, past the test's).
    await t.container.disable('owner');
    expect(t.container.components().map((c) => c.name).sort()).toEqual(['owner', 'session']);
  });

  test('a class inversify cannot build is refused when the factory is registered', () => {
    const { container } = testContainer();
    class Unmarked {
      constructor(readonly clock: Clock) {}
    }
    Component({ name: 'unmarked', factory: 'unmarked' })(Unmarked);
    expect(() => container.register(Unmarked)).toThrow(expect.objectContaining({ code: 'COMPONENT_INVALID' }) as Error);
  });

  test('stopping the container disposes the instances', async () => {
    const { container, factory, seen } = await started();
    const handle = await factory.newInstance({ user: 'a' });
    await container.stop();
    expect(handle.disposed).toBe(true);
    expect(seen.items.at(-1)).toEqual({ event: 'deactivate:container-stopped', name: 'session#1' });
    expect(container.components().map((c) => c.name).sort()).toEqual(['session', 'user']);
  });

  test('1,000 instances of one factory come and go', async () => {
    const { container, factory } = await started();
    const handles = await Promise.all(Array.from({ length: 1000 }, (_, i) => factory.newInstance({ user: `u${i}` })));
    expect(new Set(handles.map((h) => h.instance.user)).size).toBe(1000);
    expect(container.component('session').factory?.instances).toHaveLength(1000);
    expect((await container.getServices(SessionService)).length).toBe(1000);
    await Promise.all(handles.map((h) => h.dispose()));
    expect(container.components().map((c) => c.name).sort()).toEqual(['session', 'user']);
  });
});
