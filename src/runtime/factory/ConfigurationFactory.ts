import type { ComponentDescription } from '../../component/ComponentDescription.js';
import type { ConfigurationEntry, ConfigurationValues } from '../../config/ConfigurationEntry.js';
import { checkConfiguration } from '../ConfigurationIntake.js';
import type { FactoryHost } from './FactoryHost.js';
import { FactoryTemplate } from './FactoryTemplate.js';

/**
 * Factory configurations (a managed service factory, as Felix FileInstall reads them): each
 * configuration `<factoryPid>~<name>` makes an instance, a component named after it that requires that
 * configuration; deleting the configuration disposes the instance. While active (always, once enabled
 * and started: it has no references), the template follows the configurations.
 */
export class ConfigurationFactory extends FactoryTemplate {
  readonly kind = 'configuration';
  private unsubscribe: (() => void) | undefined;

  constructor(declared: ComponentDescription, host: FactoryHost) {
    const factoryPid = declared.factoryPid as string;
    super(
      declared,
      host,
      Object.freeze({
        ...declared,
        services: [],
        immediate: true,
        references: [],
        configurationPid: factoryPid,
        configurationPolicy: 'ignore',
        activate: 'activate',
        deactivate: 'deactivate',
        modified: undefined,
        checkConfiguration: undefined,
      }),
      factoryPid,
    );
  }

  /** The template's activate: makes an instance for each configuration there is, and follows them. */
  activate(): void {
    this.unsubscribe = this.host.config.subscribeFactory(this.id, (pid, entry) => {
      this.follow(pid, entry);
    });
    for (const entry of this.host.config.factoryConfigurations(this.id)) this.follow(entry.pid, entry);
  }

  /** The template's deactivate (disabled, removed, the container stopping): its instances go too. */
  async deactivate(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.disposeAll();
  }

  /** What a new instance would refuse in `values` as its configuration: its schema, its target keys. */
  async configurationProblems(values: ConfigurationValues): Promise<string[]> {
    return [...(await checkConfiguration(this.declared, values)).problems];
  }

  /** A configuration came, changed or went. An instance follows its own configuration's changes itself. */
  private follow(pid: string, entry: ConfigurationEntry | undefined): void {
    if (entry === undefined) {
      void this.disposeInstance(pid);
      return;
    }
    if (this.instances.has(pid)) return;
    try {
      this.addInstance(this.instanceDescription(pid));
    } catch (error) {
      this.template.logger.error({ err: error, configPid: pid }, `factory ${this.id} cannot make instance ${pid}: ${(error as Error).message}`);
    }
  }

  private instanceDescription(pid: string): ComponentDescription {
    // The instance reads its own configuration, which it requires: deleted, it deactivates at once.
    return Object.freeze({ ...this.declared, name: pid, configurationPid: pid, configurationPolicy: 'require', factoryPid: undefined });
  }
}
