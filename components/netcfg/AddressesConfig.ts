import { z } from 'zod';
import { normaliseMac, normalisePrefix, portAddresses, type PortAddresses } from '../host/addresses.js';

/** The highest port number OpenFlow gives physical ports (OFPP_MAX, 0xffffff00). */
export const MAX_OPENFLOW_PORT = 0xffffff00;

/**
 * A datapath id as an ONOS device id: `of:` and 16 lowercase hex digits, zero-padded. Takes
 * colon-separated hex bytes (up to 8, as in the seed's `00:00:00:00:00:00:01`) or up to 16 hex digits.
 */
export function dpidToDeviceId(dpid: string): string | undefined {
  let hex: string;
  if (dpid.includes(':')) {
    const bytes = dpid.split(':');
    if (bytes.length > 8 || !bytes.every((b) => /^[0-9a-fA-F]{1,2}$/.test(b))) return undefined;
    hex = bytes.map((b) => b.padStart(2, '0')).join('');
  } else {
    if (!/^[0-9a-fA-F]{1,16}$/.test(dpid)) return undefined;
    hex = dpid;
  }
  return `of:${hex.toLowerCase().padStart(16, '0')}`;
}

const entry = z
  .object({
    dpid: z.string().transform((dpid, ctx) => {
      const id = dpidToDeviceId(dpid);
      if (id === undefined) ctx.addIssue({ code: 'custom', message: `"${dpid}" is not a datapath id: use up to 8 colon-separated hex bytes (00:00:00:00:00:00:00:01) or up to 16 hex digits` });
      return id ?? '';
    }),
    port: z
      .union([z.number(), z.string().regex(/^\d+$/, 'a port is a number, or a string of digits')])
      .transform(Number)
      .pipe(z.number().int().min(1, 'ports start at 1').max(MAX_OPENFLOW_PORT, `the highest OpenFlow port is ${MAX_OPENFLOW_PORT}`)),
    ips: z.array(
      z.string().transform((ip, ctx) => {
        const prefix = normalisePrefix(ip);
        if (prefix === undefined) ctx.addIssue({ code: 'custom', message: `"${ip}" is not an IPv4 or IPv6 prefix such as 10.0.0.1/24 or 2001:db8::1/64` });
        return prefix ?? '';
      }),
    ),
    mac: z
      .string()
      .transform((mac, ctx) => {
        const normal = normaliseMac(mac);
        if (normal === undefined) ctx.addIssue({ code: 'custom', message: `"${mac}" is not a MAC address of 6 hex bytes such as 00:00:00:11:22:33` });
        return normal ?? '';
      })
      .optional(),
  })
  .strict();

/**
 * `config/addresses.json`: entries `{ dpid, port, ips, mac? }` under `addresses`, or under `interfaces`
 * (the key of the seed's sample file, which works unchanged). The output is the bindings to make.
 */
export const AddressesConfigSchema = z
  .object({ addresses: z.array(entry).optional(), interfaces: z.array(entry).optional() })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Map<string, (string | number)[]>();
    for (const key of ['addresses', 'interfaces'] as const) {
      (config[key] ?? []).forEach((e, i) => {
        const id = `${e.dpid}/${e.port}`;
        const first = seen.get(id);
        if (first) ctx.addIssue({ code: 'custom', path: [key, i], message: `port ${id} is already configured at $.${String(first[0])}[${String(first[1])}]; merge the two entries` });
        else seen.set(id, [key, i]);
      });
    }
  })
  .transform((config): { bindings: PortAddresses[] } => ({
    bindings: [...(config.addresses ?? []), ...(config.interfaces ?? [])].map((e) => portAddresses({ deviceId: e.dpid, port: e.port }, e.ips, e.mac)),
  }));

export type AddressesConfig = z.output<typeof AddressesConfigSchema>;
