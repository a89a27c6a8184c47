/**
 * A small helper for testing components (`import { startTestContainer } from '@lattice-scr/lattice/testing'`):
 * a container in memory (no home, no files, logs silent unless asked for) with the given classes and
 * configurations, started and waited on.
 */
import type { ComponentClass } from '../component/ComponentDescription.js';
import { tokenName, type ServiceToken } from '../component/ServiceToken.js';
import { Container } from '../container/Container.js';
import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import type { LogLevel } from '../logging/createLogger.js';

export interface TestContainerOptions {
  /** Configurations by PID, in place before the components start. */
  readonly config?: Readonly<Record<string, Record<string, unknown>>>;
  /** How long to wait for the components to come up (default 10 s). */
  readonly timeoutMs?: number;
  /** Log level (default `silent`; `info` or `debug` to see the components' logs). */
  readonly logLevel?: LogLevel;
}

export interface TestContainer {
  readonly container: Container;
  /** The service, for as long as the test holds it (activating a delayed component). @throws when there is none */
  service<T>(token: ServiceToken<T>, filter?: string): Promise<T>;
  /** Sets some keys of a configuration, keeping the others (as `lattice config set` does), and waits until the container is quiet again. */
  configure(pid: string, values: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a container with `classes` registered, and waits until each is ready: active, or, for a delayed
 * component, satisfied (it activates when its service is first used).
 * @throws LatticeError WAIT_TIMEOUT saying why a component did not come up; the container is stopped then.
 */
export async function startTestContainer(classes: readonly ComponentClass[], options: TestContainerOptions = {}): Promise<TestContainer> {
  const container = new Container({ logLevel: options.logLevel ?? 'silent' });
  for (const [pid, values] of Object.entries(options.config ?? {})) await container.config.update(pid, values);
  const names = container.register(...classes);
  try {
    await container.start();
    const timeoutMs = options.timeoutMs ?? 10_000;
    await Promise.all(names.map((name) => container.whenState(name, ['active', 'satisfied'], timeoutMs)));
  } catch (error) {
    await container.stop();
    throw error;
  }
  return {
    container,
    async service<T>(token: ServiceToken<T>, filter?: string): Promise<T> {
      const found = await container.getService(token, filter);
      if (found === undefined) throw new LatticeError(ErrorCode.SERVICE_NOT_FOUND, `No ${tokenName(token)} service${filter === undefined ? '' : ` matching ${filter}`} is available; see container.component(name).why for why.`, { service: tokenName(token) });
      return found;
    },
    async configure(pid, values) {
      await container.config.patch(pid, values);
      await container.settled();
    },
    stop: () => container.stop(),
  };
}
