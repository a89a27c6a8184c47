import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_TCP_PORT } from './api.js';

const ip = z.string().refine((value) => isIP(value) !== 0, { message: 'must be an IPv4 or IPv6 address, such as 127.0.0.1' });

const node = z.object({
  id: z.string().min(1, 'a node needs an id'),
  ip,
  tcpPort: z.number().int().min(1).max(65535).default(DEFAULT_TCP_PORT),
});

/** `config/cluster.json`. */
export const ClusterConfigSchema = z
  .object({
    /** Every node of the cluster, this one included. */
    nodes: z.array(node).default([]),
    /** Shared secret: peers prove they know it (HMAC-SHA256 challenge-response) before anything else. */
    secret: z.string().min(8, 'use a secret of at least 8 characters').optional(),
    /** Let nodes that cluster.json does not list join (they are added while they stay connected). */
    acceptUnknownNodes: z.boolean().default(false),
    /** Address to listen on, if not the local node's ip (e.g. 0.0.0.0). */
    listenIp: ip.optional(),
    heartbeatMs: z.number().int().min(20).default(1000),
    /** A node not heard from for this long is INACTIVE (and its connection is dropped). */
    failureTimeoutMs: z.number().int().min(50).default(3000),
    handshakeTimeoutMs: z.number().int().min(50).default(5000),
    maxFrameBytes: z.number().int().min(1024).max(1024 * 1024 * 1024).default(16 * 1024 * 1024),
    reconnect: z
      .object({ initialMs: z.number().int().min(10).default(100), maxMs: z.number().int().min(10).default(5000) })
      .default({ initialMs: 100, maxMs: 5000 }),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.nodes.forEach((n, i) => {
      if (seen.has(n.id)) ctx.addIssue({ code: 'custom', path: ['nodes', i, 'id'], message: `node id "${n.id}" appears twice` });
      seen.add(n.id);
    });
    if (config.heartbeatMs >= config.failureTimeoutMs) {
      ctx.addIssue({ code: 'custom', path: ['heartbeatMs'], message: `must be shorter than failureTimeoutMs (${config.failureTimeoutMs})` });
    }
  });

export type ClusterConfig = z.output<typeof ClusterConfigSchema>;
