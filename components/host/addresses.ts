import ipaddr from 'ipaddr.js';

/** A switch port: device id (e.g. `of:0000000000000001`) and port number. */
export interface ConnectPoint {
  readonly deviceId: string;
  readonly port: number;
}

/**
 * Addresses bound to a port (the seed's PortAddresses): a connect point, a set of IP prefixes (each in
 * its normal form, e.g. `192.168.10.101/24`, `2001:db8::1/64`), and an optional MAC (lowercase,
 * colon-separated).
 */
export interface PortAddresses {
  readonly connectPoint: ConnectPoint;
  readonly ips: readonly string[];
  readonly mac?: string;
}

/** `of:0000000000000001/1` */
export function connectPointKey(cp: ConnectPoint): string {
  return `${cp.deviceId}/${cp.port}`;
}

/** Builds PortAddresses in normal form: prefixes normalised, sorted and without repeats; MAC lowercase. */
export function portAddresses(connectPoint: ConnectPoint, ips: readonly string[], mac?: string): PortAddresses {
  const normal = [...new Set(ips.map((ip) => normalisePrefix(ip) ?? ip))].sort();
  return { connectPoint, ips: normal, ...(mac !== undefined && { mac: mac.toLowerCase() }) };
}

/** Same connect point, same set of prefixes, same MAC. */
export function samePortAddresses(a: PortAddresses, b: PortAddresses): boolean {
  return connectPointKey(a.connectPoint) === connectPointKey(b.connectPoint) && a.mac === b.mac && a.ips.length === b.ips.length && a.ips.every((ip, i) => ip === b.ips[i]);
}

/** The seed's toString: `PortAddresses{connect-point=of:…/1, ip-addresses=[…], mac-address=…}`. */
export function formatPortAddresses(p: PortAddresses): string {
  return `PortAddresses{connect-point=${connectPointKey(p.connectPoint)}, ip-addresses=[${p.ips.join(', ')}], mac-address=${p.mac ?? 'none'}}`;
}

/**
 * An IPv4 or IPv6 prefix in normal form (`10.1.0.1/16`, `2001:db8::1/64`), or undefined if it is not one.
 * IPv4 must be four-part decimal (ipaddr.js alone would also take `10.1/16`).
 */
export function normalisePrefix(text: string): string | undefined {
  const slash = text.lastIndexOf('/');
  if (slash <= 0) return undefined;
  const address = text.slice(0, slash);
  const lengthText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lengthText)) return undefined;
  const length = Number(lengthText);
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) return length <= 32 ? `${ipaddr.IPv4.parse(address).toString()}/${length}` : undefined;
  if (!address.includes('%') && ipaddr.IPv6.isValid(address)) return length <= 128 ? `${ipaddr.IPv6.parse(address).toString()}/${length}` : undefined;
  return undefined;
}

/** A MAC address as six hex bytes separated by colons (or all by dashes), in lowercase; undefined if it is not one. */
export function normaliseMac(text: string): string | undefined {
  return /^[0-9a-f]{2}([:-])[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}$/i.test(text) ? text.toLowerCase().replace(/-/g, ':') : undefined;
}
