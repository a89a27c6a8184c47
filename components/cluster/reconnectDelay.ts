/**
 * How long to wait before connection attempt number `attempt` (1, 2, ...) to a node that could not be
 * reached: doubling from `initialMs`, capped at `maxMs`, and spread by ±20% so that nodes that lost each
 * other at the same moment do not retry in lockstep.
 */
export function reconnectDelay(attempt: number, settings: { readonly initialMs: number; readonly maxMs: number }, random: () => number = Math.random): number {
  const delay = Math.min(settings.maxMs, settings.initialMs * 2 ** Math.min(attempt - 1, 30));
  return (delay * (4 + 2 * random())) / 5;
}
