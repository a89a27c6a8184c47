import { isIP } from 'node:net';
import { CommandService, CommandUsageError, Component, ConfigurationAdminService, Reference, type Command, type CommandResult, type ConfigurationAdmin } from '@lattice-scr/lattice';
import { ClusterCommunicationService } from '../messaging/api.js';
import { ClusterService, DEFAULT_TCP_PORT } from './api.js';
import { ClusterConfigSchema } from './ClusterConfig.js';

/** `lattice cluster nodes`: every node, its address and state, when it was last heard from, the heartbeat's round trip. */
@Component({ name: 'cluster.command.nodes', service: CommandService })
export class ClusterNodesCommand implements Command {
  readonly scope = 'cluster';
  readonly name = 'nodes';
  readonly description = 'the cluster nodes: id, address, state, last heard, heartbeat round trip';
  @Reference({ service: ClusterService }) cluster!: ClusterService;

  run(): CommandResult {
    const local = this.cluster.getLocalNode();
    const now = Date.now();
    const nodes = this.cluster.getNodes().map((node) => {
      const heard = this.cluster.getLastHeard(node.id);
      const roundTripMs = this.cluster.getRoundTripMs(node.id);
      return { ...node, address: this.cluster.getAddress(node.id), state: this.cluster.getState(node.id), self: node.id === local.id, lastHeardMsAgo: heard === undefined ? null : now - heard, roundTripMs: roundTripMs ?? null };
    });
    return {
      data: nodes,
      table: {
        columns: ['ID', 'ADDRESS', 'STATE', 'LAST HEARD', 'ROUND TRIP'],
        rows: nodes.map((n) => [
          `${n.id}${n.self ? ' (this node)' : ''}`,
          n.address,
          n.state,
          n.self ? '' : n.lastHeardMsAgo === null ? 'never' : `${(n.lastHeardMsAgo / 1000).toFixed(1)}s ago`,
          n.roundTripMs === null ? '' : `${n.roundTripMs.toFixed(2)} ms`,
        ]),
      },
    };
  }
}

/**
 * Writes cluster.json through configuration admin when there is one, so the change lasts; else in memory.
 * The edited file is checked against the cluster schema first: a command never writes a file the cluster
 * store would refuse.
 */
abstract class ClusterEditCommand {
  @Reference({ service: ClusterService }) cluster!: ClusterService;
  @Reference({ service: ConfigurationAdminService, cardinality: '0..1', policy: 'dynamic' }) config?: ConfigurationAdmin;

  protected async editNodes(edit: (nodes: { id: string; ip: string; tcpPort: number }[]) => { id: string; ip: string; tcpPort: number }[]): Promise<boolean> {
    const admin = this.config;
    if (!admin) return false;
    // An edit of what is written now, after any other edit under way: two commands at once both count.
    await admin.edit('cluster', (raw = {}) => {
      const listed = Array.isArray(raw.nodes) ? (raw.nodes as { id: string; ip: string; tcpPort: number }[]) : this.cluster.getNodes().map((n) => ({ ...n }));
      const next = { ...raw, nodes: edit([...listed]) };
      const checked = ClusterConfigSchema.safeParse(next);
      if (!checked.success) {
        const problems = checked.error.issues.map((issue) => `${['$', ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))].join('')}: ${issue.message}`);
        throw new Error(`config/cluster.json would not be valid after this change, so it was left as it is: ${problems.join('; ')}`);
      }
      return next;
    });
    return true;
  }
}

/** `lattice cluster add-node ID IP [PORT]` */
@Component({ name: 'cluster.command.add-node', service: CommandService })
export class ClusterAddNodeCommand extends ClusterEditCommand implements Command {
  readonly scope = 'cluster';
  readonly name = 'add-node';
  readonly description = 'add a node to the cluster (written to config/cluster.json)';
  readonly arguments = [
    { name: 'id', required: true },
    { name: 'ip', required: true },
    { name: 'port', description: `default ${DEFAULT_TCP_PORT}` },
  ];

  async run(args: readonly string[]): Promise<string> {
    const [id = '', ip = '', portText] = args;
    const tcpPort = portText === undefined ? DEFAULT_TCP_PORT : Number(portText);
    if (id === '' || isIP(ip) === 0 || !Number.isInteger(tcpPort) || tcpPort < 1 || tcpPort > 65535) {
      throw new CommandUsageError(`cannot add node "${id}" at ${ip}:${portText ?? tcpPort}: give an id, an IPv4/IPv6 address and a port (1-65535)`);
    }
    if (this.cluster.getNode(id)) throw new Error(`node ${id} is already in the cluster`);
    const persisted = await this.editNodes((nodes) => [...nodes, { id, ip, tcpPort }]);
    if (!persisted) this.cluster.addNode(id, ip, tcpPort);
    return `Added node ${id} at ${ip}:${tcpPort}${persisted ? ' (config/cluster.json)' : ' (until this node restarts)'}.`;
  }
}

/** `lattice cluster remove-node ID` */
@Component({ name: 'cluster.command.remove-node', service: CommandService })
export class ClusterRemoveNodeCommand extends ClusterEditCommand implements Command {
  readonly scope = 'cluster';
  readonly name = 'remove-node';
  readonly description = 'remove a node from the cluster (written to config/cluster.json)';
  readonly arguments = [{ name: 'id', required: true }];

  async run(args: readonly string[]): Promise<string> {
    const [id = ''] = args;
    if (!this.cluster.getNode(id)) throw new Error(`there is no node ${id} in the cluster`);
    if (id === this.cluster.getLocalNode().id) throw new Error(`node ${id} is this node; it cannot remove itself`);
    const persisted = await this.editNodes((nodes) => nodes.filter((n) => n.id !== id));
    this.cluster.removeNode(id);
    return `Removed node ${id}${persisted ? ' (config/cluster.json)' : ''}.`;
  }
}

/** The longest timer Node keeps (a longer one fires at once). */
const MAX_TIMEOUT_MS = 2_147_483_647;

/** `lattice cluster send NODE SUBJECT [BODY] [--request] [--timeout MS]`, for diagnosis. */
@Component({ name: 'cluster.command.send', service: CommandService })
export class ClusterSendCommand implements Command {
  readonly scope = 'cluster';
  readonly name = 'send';
  readonly description = 'send a message to a node (BODY as JSON, or text); --request waits for the reply';
  readonly arguments = [{ name: 'node', required: true }, { name: 'subject', required: true }, { name: 'body' }];
  readonly options = [
    { flags: '--request', description: 'wait for a reply (sendAndReceive)' },
    { flags: '--timeout <ms>', description: 'how long to wait for the reply (default 5000)' },
  ];
  @Reference({ service: ClusterCommunicationService }) messaging!: ClusterCommunicationService;
  @Reference({ service: ClusterService }) cluster!: ClusterService;

  async run(args: readonly string[], options: Readonly<Record<string, string | boolean>>): Promise<CommandResult> {
    const [node = '', subject = '', text] = args;
    let body: unknown = text;
    try {
      if (text !== undefined) body = JSON.parse(text) as unknown;
    } catch {
      // not JSON: send the text
    }
    const timeoutMs = options.timeout === undefined ? 5000 : Number(options.timeout);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
      throw new CommandUsageError(`--timeout ${String(options.timeout)}: give a whole number of milliseconds, 1 to ${MAX_TIMEOUT_MS}`);
    }
    if (node === this.cluster.getLocalNode().id) throw new Error(`node ${node} is this node: send to another (lattice cluster nodes lists them)`);
    if (!this.cluster.getNode(node)) throw new Error(`there is no node ${node} in the cluster (lattice cluster nodes lists them)`);
    if (options.request === true) {
      const reply = await this.messaging.sendAndReceive(subject, body, node, { timeoutMs });
      return { text: `Reply from ${node}: ${JSON.stringify(reply)}`, data: { reply } };
    }
    const sent = await this.messaging.send(subject, body, node);
    if (!sent) throw new Error(`no connection to node ${node}`);
    return { text: `Sent "${subject}" to ${node}.`, data: { sent } };
  }
}

/** `lattice cluster stats`: what this node's messaging sent, received, delivered and dropped. */
@Component({ name: 'cluster.command.stats', service: CommandService })
export class ClusterStatsCommand implements Command {
  readonly scope = 'cluster';
  readonly name = 'stats';
  readonly description = 'message counters of this node: sent, received, delivered, dropped (by reason), requests, replies';
  @Reference({ service: ClusterCommunicationService }) messaging!: ClusterCommunicationService;

  run(): CommandResult {
    const stats = this.messaging.stats();
    const rows: [string, number][] = [
      ['sent', stats.sent],
      ['not sent (no connection)', stats.notSent],
      ['received', stats.received],
      ['delivered to a subscriber', stats.delivered],
      ['dropped: no subscriber', stats.dropped.noSubscriber],
      ['dropped: late reply', stats.dropped.lateReply],
      ['requests sent', stats.requests.sent],
      ['requests answered', stats.requests.answered],
      ['requests failed', stats.requests.failed],
      ['requests timed out', stats.requests.timedOut],
      ['replies sent', stats.replies.sent],
      ['replies not sent', stats.replies.notSent],
    ];
    return { data: stats, table: { columns: ['COUNTER', 'VALUE'], rows: rows.map(([name, value]) => [name, String(value)]) } };
  }
}
