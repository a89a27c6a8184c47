import type { Logger } from 'pino';
import type { ComponentDescription } from '../component/ComponentDescription.js';
import type { ConfigurationEntry, ConfigurationSource, ConfigurationValues } from '../config/ConfigurationEntry.js';
import { validateConfiguration } from '../config/validateConfiguration.js';
import { deepEqual } from '../json/deepEqual.js';
import { parseFilter } from '../filter/parseFilter.js';
import { andThen, type MaybePromise } from './MaybePromise.js';
import type { ReferenceManager } from './ReferenceManager.js';

/** The configuration delivered to a component: validated, placeholders substituted. */
export interface DeliveredConfiguration {
  /** What the schema produced (defaults filled in, values transformed), without the `<reference>.target` keys. */
  readonly values: ConfigurationValues;
  /** The configuration as written (placeholders substituted), without the target keys: the properties. */
  readonly raw: ConfigurationValues;
  /** `<reference>.target` keys, by reference name. */
  readonly targets: Readonly<Record<string, string>>;
  /** From a configuration that exists (rather than defaults for a missing one). */
  readonly present: boolean;
}

/** What a component would make of some values: the problems (`$.path: reason` each), and what the schema made of them. */
export interface CheckedConfiguration {
  readonly problems: readonly string[];
  /** Present when the schema took the values (even if a target was refused). */
  readonly delivered?: DeliveredConfiguration;
}

const NONE: Readonly<Record<string, never>> = Object.freeze({});

/**
 * Takes in one component's configuration: follows its PID, validates each version (schema, and
 * `<reference>.target` filters, which retarget the references) and keeps the last good one in force.
 */
export class ConfigurationIntake {
  private deliveredValue: DeliveredConfiguration | undefined;
  private versionValue = 0;
  private problemValue: string | undefined;
  private dirty = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly description: ComponentDescription,
    private readonly references: readonly ReferenceManager[],
    private readonly source: ConfigurationSource,
    private readonly logger: () => Logger,
    /** Values over whatever the PID holds (a component factory's instance: the properties it was made with). */
    private readonly overlay?: ConfigurationValues,
  ) {}

  /** The configuration in force, if any. */
  get delivered(): DeliveredConfiguration | undefined {
    return this.deliveredValue;
  }

  /** Bumped by each new configuration delivered. */
  get version(): number {
    return this.versionValue;
  }

  /** Why the latest configuration was not delivered (invalid, missing), if it was not. */
  get problem(): string | undefined {
    return this.problemValue;
  }

  /** A change came that `read()` has not looked at yet. */
  get stale(): boolean {
    return this.dirty;
  }

  /** Follows the PID (not with policy `ignore`): `changed` is told of every change, to be read later. */
  open(changed: () => void): void {
    if (this.overlay) this.dirty = true;
    if (this.description.configurationPolicy === 'ignore' || this.unsubscribe) return;
    this.unsubscribe = this.source.subscribe(this.description.configurationPid, () => {
      this.dirty = true;
      changed();
    });
    this.dirty = true;
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /**
   * Reads the configuration and delivers it if it changed; true when it did (at once, unless the schema
   * validates asynchronously). An invalid version is not delivered: the last good one stays (or, with
   * none, there is none), and the problem is logged and kept.
   */
  read(): MaybePromise<boolean> {
    this.dirty = false;
    const { configurationPid: pid, configurationPolicy: policy } = this.description;
    if (policy === 'ignore' && !this.overlay) return false;
    const entry = policy === 'ignore' ? undefined : this.source.get(pid);
    const values = this.overlay && (entry?.values || Object.keys(this.overlay).length > 0) ? { ...entry?.values, ...this.overlay } : entry?.values;
    if (values) {
      return andThen(checkConfiguration(this.description, values), (checked) =>
        checked.problems.length > 0
          ? this.take(this.deliveredValue, `${this.overlay ? `configuration "${pid}" with the instance's own properties over it` : (entry?.file ?? `configuration "${pid}"`)}: ${checked.problems.join('; ')}`, entry)
          : this.take(checked.delivered, entry?.problem, entry),
      );
    }
    if (entry?.problem !== undefined) return this.take(this.deliveredValue, entry.problem, entry);
    // No configuration: a required one is missing; an optional one runs on the schema's defaults.
    if (policy !== 'optional') return this.take(undefined, undefined, entry);
    // A new object each time: `context.config` is the component's own (schemas and code may fill it in).
    return andThen(validateConfiguration(this.description.configSchema, {}), (defaults) =>
      defaults.ok
        ? this.take({ values: defaults.values, raw: NONE, targets: NONE, present: false }, undefined, entry)
        : this.take(undefined, `configuration "${pid}" is missing and the schema needs values: ${defaults.problems.join('; ')}`, entry),
    );
  }

  /** Puts `next` in force if it differs from the one in force, and keeps `problem` (logged when it is new). */
  private take(next: DeliveredConfiguration | undefined, problem: string | undefined, entry: ConfigurationEntry | undefined): boolean {
    if (problem !== undefined && problem !== this.problemValue && entry?.problem === undefined) {
      const kept = this.deliveredValue?.present ? 'keeping the last good one' : 'and there is no good one before it';
      this.logger().error(
        { configPid: this.description.configurationPid, file: entry?.file },
        `configuration of ${this.description.name} not applied, ${kept}: ${problem} (fix it: the component picks the change up at once)`,
      );
    }
    this.problemValue = problem;
    if (deepEqual(next, this.deliveredValue)) return false;
    this.deliveredValue = next;
    this.versionValue++;
    for (const ref of this.references) ref.setTarget(next?.targets[ref.name]);
    return true;
  }

  /** What the component makes of `all` (the one check for reading a file and for refusing a write). */
  check(all: ConfigurationValues): MaybePromise<CheckedConfiguration> {
    return checkConfiguration(this.description, this.overlay ? { ...all, ...this.overlay } : all);
  }
}

/** What a component of `description` would make of the configuration `all`: its schema, its `<reference>.target` keys. */
export function checkConfiguration(description: ComponentDescription, all: ConfigurationValues): MaybePromise<CheckedConfiguration> {
  const values: Record<string, unknown> = {};
  const targets: Record<string, string> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(all)) {
    const ref = key.endsWith('.target') ? description.references.find((r) => `${r.name}.target` === key) : undefined;
    if (!ref) {
      values[key] = value;
      continue;
    }
    try {
      if (typeof value !== 'string') throw new Error('a target must be a filter string such as "(role=primary)"');
      parseFilter(value);
      targets[ref.name] = value;
    } catch (error) {
      problems.push(`$["${key}"]: ${(error as Error).message}`);
    }
  }
  return andThen(validateConfiguration(description.configSchema, values), (result) =>
    result.ok ? { problems, delivered: { values: result.values, raw: values, targets, present: true } } : { problems: [...problems, ...result.problems] },
  );
}
