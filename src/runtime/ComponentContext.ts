import type { Logger } from 'pino';
import type { DeactivationReason } from './ComponentState.js';

/** Given to `@Activate` (and `@Modified`) methods. */
export interface ComponentContext {
  /** The component's name. */
  readonly name: string;
  /** Properties: the component's own, then its configuration, then `component.name` / `component.id`. */
  readonly properties: Readonly<Record<string, unknown>>;
  /**
   * The component's configuration (of its configuration PID), as its `configSchema` produced it;
   * `{}` (or the schema's defaults) when there is none. Without the `<reference>.target` keys.
   */
  readonly config: Readonly<Record<string, unknown>>;
  /** Which configuration that is, and whether one exists (false: `config` holds only defaults). */
  readonly configuration: { readonly pid: string; readonly present: boolean };
  /** About the container the component runs in. */
  readonly container: ContainerFacts;
  /** A pino logger bound to this component. */
  readonly logger: Logger;
  /** The service bound to a single reference (undefined while an optional one is empty). */
  locateService<T = unknown>(referenceName: string): T | undefined;
  /** The services bound to a reference, best first. */
  locateServices<T = unknown>(referenceName: string): T[];
}

/** What a component may know about its container. */
export interface ContainerFacts {
  /** The node id (`lattice start --node-id`, or $LATTICE_NODE_ID), if set. */
  readonly nodeId: string | undefined;
  /** The home folder, if the container has one. */
  readonly home: string | undefined;
}

/** Given to `@Deactivate` methods. */
export interface DeactivationContext extends ComponentContext {
  readonly reason: DeactivationReason;
}
