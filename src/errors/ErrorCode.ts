/**
 * Stable error codes. Users search for these, tests match on them; never rename one.
 */
export const ErrorCode = {
  /** A class passed to `register` has no `@Component` decorator. */
  COMPONENT_DECORATOR_MISSING: 'COMPONENT_DECORATOR_MISSING',
  /** `@Reference` without a service token, or with an invalid option. */
  REFERENCE_INVALID: 'REFERENCE_INVALID',
  /** `@Component` with an invalid option, or decorators applied where they make no sense. */
  COMPONENT_INVALID: 'COMPONENT_INVALID',
  /** Two components registered under one name. */
  COMPONENT_NAME_DUPLICATE: 'COMPONENT_NAME_DUPLICATE',
  /** No component registered under that name. */
  COMPONENT_NOT_FOUND: 'COMPONENT_NOT_FOUND',
  /** An LDAP filter string that does not parse. */
  FILTER_INVALID: 'FILTER_INVALID',
  /** The component's constructor or activate method threw. */
  ACTIVATION_FAILED: 'ACTIVATION_FAILED',
  /** The component's constructor or activate method did not settle in time. */
  ACTIVATION_TIMEOUT: 'ACTIVATION_TIMEOUT',
  /** Mandatory references that wait on each other. */
  REFERENCE_CYCLE: 'REFERENCE_CYCLE',
  /** A component deactivated and activated again for the same cause, over and over, while the container settled. */
  REACTIVATION_LOOP: 'REACTIVATION_LOOP',
  /** `newInstance` of a component factory that is no longer active (its service was taken away). */
  FACTORY_INACTIVE: 'FACTORY_INACTIVE',
  /** `newInstance` made an instance that could not activate; the message says why. */
  FACTORY_INSTANCE_FAILED: 'FACTORY_INSTANCE_FAILED',
  /** `whenActive` gave up waiting. */
  WAIT_TIMEOUT: 'WAIT_TIMEOUT',
  SERVICE_NOT_FOUND: 'SERVICE_NOT_FOUND',
  /** An operation on a container that is not running (or is stopping). */
  CONTAINER_STOPPED: 'CONTAINER_STOPPED',
  /** A JSON file that does not parse (the error gives file, line and column). */
  JSON_SYNTAX: 'JSON_SYNTAX',
  /** JSON (a file, or values given to write) whose arrays and objects nest deeper than Lattice reads (256 levels). */
  JSON_TOO_DEEP: 'JSON_TOO_DEEP',
  /** A file over the size Lattice reads for its kind (a configuration file: 5 MiB unless configured). */
  FILE_TOO_LARGE: 'FILE_TOO_LARGE',
  /** A file that exists but cannot be read: a symbolic link loop, a folder, no permission. */
  FILE_UNREADABLE: 'FILE_UNREADABLE',
  /** A configuration that its component's schema rejects, or that is not a JSON object. */
  CONFIG_INVALID: 'CONFIG_INVALID',
  /** A configuration PID that cannot be a file name. */
  CONFIG_PID_INVALID: 'CONFIG_PID_INVALID',
  /** `${env:NAME}` in a configuration, with NAME unset and no default. */
  CONFIG_ENV_MISSING: 'CONFIG_ENV_MISSING',
  /** A features file with problems; `details.problems` lists every one (each with its own code). */
  FEATURES_INVALID: 'FEATURES_INVALID',
  /** A features file entry of the wrong shape (a missing name, a bad version...). */
  FEATURE_DEFINITION_INVALID: 'FEATURE_DEFINITION_INVALID',
  /** A feature name that no features file defines (or no version in the asked range). */
  FEATURE_NOT_FOUND: 'FEATURE_NOT_FOUND',
  /** The same feature name and version defined twice. */
  FEATURE_DUPLICATE: 'FEATURE_DUPLICATE',
  /** Features that depend on each other in a circle. */
  FEATURE_CYCLE: 'FEATURE_CYCLE',
  /** A dependency's version range that no defined version satisfies. */
  FEATURE_VERSION_UNSATISFIED: 'FEATURE_VERSION_UNSATISFIED',
  /** A feature's module path that does not exist. */
  FEATURE_MODULE_MISSING: 'FEATURE_MODULE_MISSING',
  /** A feature's module path outside the distribution's folder. */
  FEATURE_MODULE_OUTSIDE_ROOT: 'FEATURE_MODULE_OUTSIDE_ROOT',
  /** Uninstall refused: installed features need this one (use force to remove them too). */
  FEATURE_REQUIRED: 'FEATURE_REQUIRED',
  /** Uninstall of a feature that is not installed. */
  FEATURE_NOT_INSTALLED: 'FEATURE_NOT_INSTALLED',
  /** An install that failed and was rolled back; the message says what failed. */
  FEATURE_INSTALL_FAILED: 'FEATURE_INSTALL_FAILED',
  /** A component module that could not be imported (or threw while loading). */
  MODULE_IMPORT_FAILED: 'MODULE_IMPORT_FAILED',
  /** A component module whose import (its top-level code) did not settle within the import timeout. */
  MODULE_IMPORT_TIMEOUT: 'MODULE_IMPORT_TIMEOUT',
  /** A module in deploy/ that exports no `@Component` class: there is nothing to deploy. */
  MODULE_NO_COMPONENTS: 'MODULE_NO_COMPONENTS',
  /** A service registration used after it was unregistered. */
  SERVICE_UNREGISTERED: 'SERVICE_UNREGISTERED',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
