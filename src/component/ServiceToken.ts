declare const serviceType: unique symbol;

/**
 * Identifies a service interface at run time. Two tokens made from the same name are the same token,
 * in every module and every copy of this package (like an OSGi `objectClass` name), so a module that
 * is re-imported, or deployed separately, still finds the services it names.
 *
 * A token is a symbol, so it can also be given to inversify's `@inject(TOKEN)`.
 */
export type ServiceToken<T = unknown> = symbol & { readonly [serviceType]?: T };

const PREFIX = 'lattice.service:';

/** Makes (or finds) the token of the service interface called `name`. */
export function serviceToken<T>(name: string): ServiceToken<T> {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new TypeError('serviceToken(name): name must be a non-empty string, e.g. serviceToken<HostAdminService>("HostAdminService")');
  }
  return Symbol.for(PREFIX + name);
}

/** True when `value` was made by `serviceToken`. */
export function isServiceToken(value: unknown): value is ServiceToken {
  return typeof value === 'symbol' && (Symbol.keyFor(value)?.startsWith(PREFIX) ?? false);
}

/** The name a token was made from. */
export function tokenName(token: ServiceToken): string {
  const key = Symbol.keyFor(token);
  return key?.startsWith(PREFIX) ? key.slice(PREFIX.length) : String(token.description);
}
