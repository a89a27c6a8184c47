import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_TCP_PORT, NODE_ID } from './api.js';

const ip = z.string().refine((value) => isIP(value) !== 0, { message: 'must be an IPv4 or IPv6 address, such as 127.0.0.1' });

const port = z.number('must be a port number, 1 to 65535').int('must be a whole port number, 1 to 65535').min(1, 'must be a port number, 1 to 65535').max(65535, 'must be a port number, 1 to 65535');

/** A duration in milliseconds, at least `min`. */
const ms = (min: number) => z.number('must be a number of milliseconds').int('must be a whole number of milliseconds').min(min, `must be at least ${min} (milliseconds)`);

const node = z.object({
  id: z.string('a node needs an id (a string)').regex(NODE_ID, 'a node id is 1 to 64 letters, digits and . _ : @ - (no spaces or other characters)'),
  ip,
  tcpPort: port.default(DEFAULT_TCP_PORT),
});

const secretText = z.string().min(1).meta({ secret: true });

/** `transport.nats`: the NATS servers, how to authenticate to them, and the cluster's name on them. */
const natsTransport = z.object({
  servers: z.array(z.string().min(1), 'must be a list of NATS server URLs, such as ["nats://127.0.0.1:4222"]').min(1, 'name at least one NATS server'),
  /** Every subject carries it: two clusters can share a server. */
  cluster: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a cluster name is 1 to 64 letters, digits, _ and -').default('lattice'),
  token: secretText.optional(),
  user: z.string().min(1).optional(),
  pass: secretText.optional(),
  /** An nkey seed (SU...), for servers that authenticate by nkey. */
  nkeySeed: secretText.optional(),
  tls: z.object({ ca: z.string().optional(), cert: z.string().optional(), key: z.string().optional() }).optional(),
  /** Without this, a NATS transport with no authentication is refused. */
  allowNoAuth: z.boolean().default(false),
});

/** `config/cluster.json`. */
export const ClusterConfigSchema = z
  .object({
    /** How nodes reach each other: `"tcp"`, a full mesh of their own connections, or `{ "nats": {...} }`. */
    transport: z.union([z.literal('tcp'), z.object({ nats: natsTransport })], 'must be "tcp" or { "nats": { "servers": [...] } }').default('tcp'),
    /** Every node of the cluster, this one included. */
    nodes: z.array(node).default([]),
    /** Shared secret: peers prove they know it (HMAC-SHA256 challenge-response) before anything else. */
    secret: z.string().min(16, 'use a secret of at least 16 characters (a long passphrase, or 16+ random characters)').meta({ secret: true }).optional(),
    /** Let nodes that cluster.json does not list join (they are added while they stay connected). */
    acceptUnknownNodes: z.boolean().default(false),
    /** Address to listen on, if not the local node's ip (e.g. 0.0.0.0). */
    listenIp: ip.optional(),
    heartbeatMs: ms(20).default(1000),
    /** A node not heard from for this long is INACTIVE (and its connection is dropped). */
    failureTimeoutMs: ms(50).default(3000),
    handshakeTimeoutMs: ms(50).default(5000),
    maxFrameBytes: z
      .number('must be a number of bytes')
      .int('must be a whole number of bytes')
      .min(1024, 'must be at least 1024 (bytes)')
      .max(1024 * 1024 * 1024, 'must be at most 1073741824 (1 GiB)')
      .default(16 * 1024 * 1024),
    /**
     * Bytes of replies waiting to go to one peer, at most (default: 64 MiB, or twice maxFrameBytes if
     * that is more); past it the peer, which does not read them, is dropped.
     */
    maxQueuedReplyBytes: z.number('must be a number of bytes').int('must be a whole number of bytes').optional(),
    /** Refused connections are logged once per source address per this interval, then counted. */
    refusalLogIntervalMs: ms(100).default(10_000),
    reconnect: z
      .object({ initialMs: ms(10).default(100), maxMs: ms(10).default(5000) })
      .default({ initialMs: 100, maxMs: 5000 }),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.nodes.forEach((n, i) => {
      if (seen.has(n.id)) ctx.addIssue({ code: 'custom', path: ['nodes', i, 'id'], message: `node id "${n.id}" appears twice` });
      seen.add(n.id);
    });
    if (config.maxQueuedReplyBytes !== undefined && config.maxQueuedReplyBytes < config.maxFrameBytes) {
      ctx.addIssue({ code: 'custom', path: ['maxQueuedReplyBytes'], message: `must be at least maxFrameBytes (${config.maxFrameBytes}): one frame of that size must fit` });
    }
    if (config.transport !== 'tcp' && config.transport.nats.user !== undefined && config.transport.nats.pass === undefined) {
      ctx.addIssue({ code: 'custom', path: ['transport', 'nats', 'pass'], message: 'a user needs its pass' });
    }
    if (config.heartbeatMs >= config.failureTimeoutMs) {
      ctx.addIssue({ code: 'custom', path: ['heartbeatMs'], message: `must be shorter than failureTimeoutMs (${config.failureTimeoutMs})` });
    }
  });

export type ClusterConfig = z.output<typeof ClusterConfigSchema>;

/** The default bound of a connection's send queue. */
export const DEFAULT_MAX_QUEUED_REPLY_BYTES = 64 * 1024 * 1024;

/** The bound on replies waiting for a peer: as configured, else the default (at least two of the largest frames). */
export function maxQueuedReplyBytesOf(config: ClusterConfig): number {
  return config.maxQueuedReplyBytes ?? Math.max(DEFAULT_MAX_QUEUED_REPLY_BYTES, 2 * config.maxFrameBytes);
}
