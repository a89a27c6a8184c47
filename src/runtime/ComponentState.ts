/** Where a component is in its life (OSGi Declarative Services states, plus the failures we keep). */
export type ComponentState =
  | 'disabled'
  | 'unsatisfied-configuration'
  | 'unsatisfied-reference'
  | 'satisfied'
  | 'activating'
  | 'active'
  | 'deactivating'
  | 'failed-activation';

export const COMPONENT_STATES: readonly ComponentState[] = [
  'disabled',
  'unsatisfied-configuration',
  'unsatisfied-reference',
  'satisfied',
  'activating',
  'active',
  'deactivating',
  'failed-activation',
];

/** Why a component was deactivated; given to its `@Deactivate` method as `context.reason`. */
export type DeactivationReason =
  /** `disable(name)` */
  | 'disabled'
  /** A mandatory reference lost its last service. */
  | 'reference-unsatisfied'
  /** A static reference's service went away or a better one came (greedy): a new instance follows. */
  | 'reference-changed'
  /** The configuration changed and the component has no `@Modified`: a new instance follows. */
  | 'configuration-changed'
  /** The configuration was deleted (or became invalid) and the component requires one. */
  | 'configuration-deleted'
  /** A delayed component's last user released its service. */
  | 'unused'
  /** `restart(name)` */
  | 'restart'
  /** The component was unregistered (its module removed, its feature uninstalled). */
  | 'disposed'
  /** The container is stopping. */
  | 'container-stopped'
  /** activate() settled after its timeout; the late instance is deactivated at once. */
  | 'activation-timeout';
