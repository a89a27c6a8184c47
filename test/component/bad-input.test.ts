import { describe, expect, test } from 'vitest';
import { Activate, Component, ErrorCode, LatticeError, Reference, serviceToken } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';

const Thing = serviceToken('test.bad.Thing');

function caught(fn: () => unknown): LatticeError {
  try {
    fn();
  } catch (error) {
    if (LatticeError.is(error)) return error;
    throw error;
  }
  throw new Error('expected a LatticeError');
}

describe('bad input gets a LatticeError with a stable code, naming the class/field and the fix', () => {
  test('a class without @Component; the container keeps running', async () => {
    class Plain {}
    @Component({ name: 'survivor' })
    class Survivor {}
    const { container } = testContainer();
    container.register(Survivor);
    await container.start();
    const error = caught(() => container.register(Plain));
    expect(error.code).toBe(ErrorCode.COMPONENT_DECORATOR_MISSING);
    expect(error.message).toContain('class Plain');
    expect(error.message).toContain('Add @Component()');
    expect(container.component('survivor').state).toBe('active');
    await container.stop();
  });

  test('a @Reference without a service token', () => {
    const error = caught(() => {
      class Broken {
        @Reference({ service: undefined as unknown as typeof Thing }) thing!: unknown;
      }
      return Broken;
    });
    expect(error.code).toBe(ErrorCode.REFERENCE_INVALID);
    expect(error.message).toContain('Broken.thing');
    expect(error.message).toContain('serviceToken<YourService>("YourService")');
    expect(error.details.member).toBe('Broken.thing');
  });

  test('a @Reference with a string instead of a token', () => {
    class Str {}
    const error = caught(() => {
      Reference({ service: 'Thing' as unknown as typeof Thing })(Str.prototype, 'thing');
    });
    expect(error.code).toBe(ErrorCode.REFERENCE_INVALID);
    expect(error.message).toContain('Str.thing has no service token');
  });

  test('two components with one name: nothing of the batch is registered', async () => {
    @Component({ name: 'same' })
    class First {}
    @Component({ name: 'same' })
    class Second {}
    @Component({ name: 'other' })
    class Other {}
    const { container } = testContainer();
    const error = caught(() => container.register(Other, First, Second));
    expect(error.code).toBe(ErrorCode.COMPONENT_NAME_DUPLICATE);
    expect(error.message).toBe('Cannot register Second as component "same": First already has that name. Give one of them another name with @Component({ name }).');
    // The same class twice in one call is the same mistake, said the same way.
    expect(caught(() => container.register(Other, Other)).message).toBe('Cannot register Other as component "other": Other already has that name. Give one of them another name with @Component({ name }).');
    expect(container.components()).toEqual([]);
    container.register(First);
    expect(caught(() => container.register(Second)).code).toBe(ErrorCode.COMPONENT_NAME_DUPLICATE);
    await container.start();
    expect(container.component('same').implementation).toBe('First');
    await container.stop();
  });

  test('an invalid filter string names the field and the position', () => {
    const error = caught(() => {
      class Filtered {
        @Reference({ service: Thing, target: '(role=primary' }) thing!: unknown;
      }
      return Filtered;
    });
    expect(error.code).toBe(ErrorCode.FILTER_INVALID);
    expect(error.message).toContain('Filtered.thing');
    expect(error.message).toContain('missing ")"');
  });

  test('bad reference options and lifecycle decorators', () => {
    class C {}
    const cardinality = caught(() => {
      Reference({ service: Thing, cardinality: '1..2' as '1..1' })(C.prototype, 'x');
    });
    expect(cardinality.message).toBe('@Reference C.x has cardinality "1..2"; use one of 0..1, 1..1, 0..n, 1..n.');
    const policy = caught(() => {
      Reference({ service: Thing, policy: 'lazy' as 'static' })(C.prototype, 'y');
    });
    expect(policy.message).toContain('policy "lazy"');
    const unknownMethod = caught(() => {
      @Component()
      class Binder {
        @Reference({ service: Thing, bind: 'nope' }) thing!: unknown;
      }
      return Binder;
    });
    expect(unknownMethod.code).toBe(ErrorCode.REFERENCE_INVALID);
    expect(unknownMethod.message).toContain('no such method');
    const twice = caught(() => {
      class Twice {
        @Activate one(): void {}
        @Activate two(): void {}
      }
      return Twice;
    });
    expect(twice.code).toBe(ErrorCode.COMPONENT_INVALID);
    expect(twice.message).toContain('@Activate on Twice.two appears twice');
  });

  test('a delayed component without a service, and a non-token service', () => {
    const noService = caught(() => {
      Component({ immediate: false })(class NoService {});
    });
    expect(noService.message).toContain('NoService is { immediate: false } but provides no service');
    const notToken = caught(() => {
      Component({ service: 'Thing' as unknown as typeof Thing })(class StrService {});
    });
    expect(notToken.message).toContain('not a service token');
  });

  test('a constructor parameter inversify cannot fill is reported at register time', () => {
    @Component()
    class NeedsArg {
      constructor(readonly thing: unknown) {}
    }
    const { container } = testContainer();
    const error = caught(() => container.register(NeedsArg));
    expect(error.code).toBe(ErrorCode.COMPONENT_INVALID);
    expect(error.message).toContain('Put @Reference');
    expect(container.components()).toEqual([]);
  });
});
