import type { ServiceToken } from '../component/ServiceToken.js';
import { isServiceToken } from '../component/ServiceToken.js';
import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import { parseFilter } from '../filter/parseFilter.js';
import { ExternalServiceRegistration, type ServiceRegistration } from './ExternalServiceRegistration.js';
import type { ServiceRecord, ServiceUser } from './ServiceRecord.js';
import type { ServiceRegistry } from './ServiceRegistry.js';

/**
 * Services used from outside the components (the container's `registerService`, `getService`,
 * `ungetService`): what code outside provides, and what it holds, counted like a component's use so a
 * delayed provider stays active while held.
 */
export class ExternalServiceUse {
  private readonly user: ServiceUser = { userName: 'code outside the container' };
  /** Each service object held, with the records it was got through (once per get). */
  private readonly held = new Map<unknown, ServiceRecord[]>();

  constructor(
    private readonly registry: ServiceRegistry,
    /** Told before each change from outside (see ComponentRuntime.outsideChange). */
    private readonly changing: () => void,
  ) {}

  /** Registers a ready-made object as a service. @throws LatticeError REFERENCE_INVALID for something that is not a token */
  register<T>(service: ServiceToken<T> | readonly ServiceToken<T>[], instance: T, properties: Record<string, unknown>): ServiceRegistration<T> {
    const tokens = (Array.isArray(service) ? service : [service]) as readonly unknown[];
    if (tokens.length === 0 || !tokens.every(isServiceToken)) {
      throw new LatticeError(ErrorCode.REFERENCE_INVALID, 'registerService needs a service token made by serviceToken("Name") (or a non-empty array of them).');
    }
    return new ExternalServiceRegistration(this.registry, tokens, instance, properties, this.changing);
  }

  /** The services of `token` matching `filter`, best first, each held until `unget`; `first` stops at the first one had. */
  async get<T>(token: ServiceToken<T>, filter: string | undefined, first: boolean): Promise<T[]> {
    const found: T[] = [];
    for (const record of this.registry.find(token, filter === undefined ? undefined : parseFilter(filter))) {
      const service = await this.acquire(record);
      if (service === undefined) continue;
      found.push(service as T);
      if (first) break;
    }
    return found;
  }

  /** Holds the service of `record` (activating a delayed provider); undefined if its provider could not provide it. */
  async acquire(record: ServiceRecord): Promise<unknown> {
    const service = await record.provider.getService(record, this.user);
    if (service === undefined) return undefined;
    const records = this.held.get(service) ?? [];
    records.push(record);
    this.held.set(service, records);
    return service;
  }

  /** Lets go of a service got once; a delayed provider deactivates when nobody uses it. */
  unget(service: unknown): void {
    const records = this.held.get(service);
    const record = records?.pop();
    if (!record) return;
    if (records?.length === 0) this.held.delete(service);
    record.provider.ungetService(record, this.user);
  }
}
