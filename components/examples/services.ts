import { serviceToken } from '@lattice-scr/lattice';

export interface Clock {
  now(): Date;
}

export interface Greeter {
  greet(name: string): string;
}

export const ClockService = serviceToken<Clock>('examples.Clock');
export const GreeterService = serviceToken<Greeter>('examples.Greeter');
