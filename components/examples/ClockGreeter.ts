import { Component, Reference } from '@lattice-scr/lattice';
import { ClockService, GreeterService, type Clock, type Greeter } from './services.js';

/** Greets with the time of day; needs a clock. */
@Component({ name: 'examples.greeter', service: GreeterService })
export class ClockGreeter implements Greeter {
  @Reference({ service: ClockService }) clock!: Clock;

  greet(name: string): string {
    const hour = this.clock.now().getHours();
    const part = hour < 12 ? 'morning' : hour < 18 ? 'afternoon' : 'evening';
    return `Good ${part}, ${name}`;
  }
}
