import { Component } from '@lattice-scr/lattice';
import { ClockService, type Clock } from './services.js';

/** Provides the clock; delayed: activated when the greeter first uses it. */
@Component({ name: 'examples.clock', service: ClockService, properties: { source: 'system' } })
export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }
}
