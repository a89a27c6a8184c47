import { connectPointKey, samePortAddresses, type PortAddresses } from '../host/addresses.js';

/**
 * What to change to go from one set of bindings to another: ports no longer configured are unbound,
 * new ones bound, and changed ones unbound (the old addresses) and bound (the new). Ports that did not
 * change are not touched.
 */
export function diffBindings(before: readonly PortAddresses[], after: readonly PortAddresses[]): { unbind: PortAddresses[]; bind: PortAddresses[] } {
  const old = new Map(before.map((b) => [connectPointKey(b.connectPoint), b]));
  const next = new Map(after.map((b) => [connectPointKey(b.connectPoint), b]));
  const unbind: PortAddresses[] = [];
  const bind: PortAddresses[] = [];
  for (const [key, previous] of old) {
    const now = next.get(key);
    if (!now || !samePortAddresses(previous, now)) unbind.push(previous);
  }
  for (const [key, now] of next) {
    const previous = old.get(key);
    if (!previous || !samePortAddresses(previous, now)) bind.push(now);
  }
  return { unbind, bind };
}
