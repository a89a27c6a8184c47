import { Activate, Component, Deactivate, Reference, type ComponentContext } from '@lattice-scr/lattice';
import { GreeterService, type Greeter } from './services.js';

/** Immediate: greets once on activation and then every `intervalMs` until deactivated. */
@Component({ name: 'examples.heartbeat', properties: { intervalMs: 60_000 } })
export class Heartbeat {
  @Reference({ service: GreeterService }) greeter!: Greeter;
  private timer: NodeJS.Timeout | undefined;

  @Activate
  activate(context: ComponentContext): void {
    const beat = (): void => {
      context.logger.info(this.greeter.greet('Lattice'));
    };
    beat();
    this.timer = setInterval(beat, Number(context.properties.intervalMs));
    this.timer.unref();
  }

  @Deactivate
  deactivate(): void {
    clearInterval(this.timer);
  }
}
