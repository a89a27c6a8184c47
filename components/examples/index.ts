/**
 * A small example of the component model: a delayed clock service, a greeter that references it,
 * and an immediate heartbeat that references the greeter and logs.
 */
export { SystemClock } from './SystemClock.js';
export { ClockGreeter } from './ClockGreeter.js';
export { Heartbeat } from './Heartbeat.js';
export { ClockService, GreeterService, type Clock, type Greeter } from './services.js';
