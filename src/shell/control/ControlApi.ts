import { relative } from 'node:path';
import type { Container } from '../../container/Container.js';
import { checkPid } from '../../config/ConfigAdmin.js';
import { LatticeError } from '../../errors/LatticeError.js';
import { serviceToken } from '../../component/ServiceToken.js';
import { COMPONENT_STATES, type ComponentState } from '../../runtime/ComponentState.js';
import { CommandService, type Command, type CommandDescription, type CommandResult } from '../Command.js';
import { HttpError } from '../../http/HttpError.js';
import { errorResponse, type Route } from '../../http/httpExchange.js';
import { renderGraph } from './renderGraph.js';
import type { Readiness } from '../../health/Readiness.js';
import type { ConsoleSessions } from '../console/ConsoleSessions.js';
import type { LogEntry, LogTail } from '../../logging/LogTail.js';
import type { ConfigurationEntry } from '../../config/ConfigurationEntry.js';
import { restoreMasked } from '../../config/secrets.js';
import { deepEqual } from '../../json/deepEqual.js';

export interface ControlApiOptions {
  readonly home: string;
  readonly nodeId?: string;
  readonly version: string;
  /** Asked to stop the container (after the answer is sent). */
  readonly onStop: () => void;
  /** The web console's logins (`POST /v1/console/login`), when it is served. */
  readonly consoleSessions?: ConsoleSessions;
  /** The last log lines (`GET /v1/logs`), when they are kept. */
  readonly logTail?: LogTail;
}

/** How long a readiness answer is given again to probes (which need no token) before the checks run again. */
const PROBE_REUSE_MS = 1000;

/** The container's state and operations as the control API's routes. */
export class ControlApi {
  private readonly startedAt = Date.now();
  /** The last readiness answer given to a probe, reused for PROBE_REUSE_MS. */
  /** How long the start took, once started. */
  private boot: { readonly processStartMs: number; readonly containerStartMs?: number } | undefined;
  private lastProbe: { readonly at: number; readonly phase: string; readonly answer: Promise<{ status: number; body: unknown }> } | undefined;
  private port = 0;
  /** The API answers from before the container has started (status shows it) until it has stopped. */
  private phase: 'starting' | 'running' | 'stopping' = 'starting';

  constructor(
    private readonly container: Container,
    private readonly options: ControlApiOptions,
  ) {}

  /** The port the server listens on, for `status`. */
  listeningOn(port: number): void {
    this.port = port;
  }

  /** The container has started (its boot features are installed). */
  started(timing?: { readonly containerStartMs: number }): void {
    if (this.phase !== 'starting') return;
    this.phase = 'running';
    // performance.now() counts from the process's start: Node's own start and the imports included.
    this.boot = { processStartMs: Math.round(performance.now()), ...(timing && { containerStartMs: Math.round(timing.containerStartMs) }) };
  }

  /** The container is stopping (a signal, or `POST stop`). */
  stopping(): void {
    this.phase = 'stopping';
  }

  route(method: string, path: readonly string[], query: URLSearchParams, body: unknown): Route {
    if (method === 'GET' && path.length === 1 && path[0] === 'metrics') return { kind: 'text', run: () => this.metrics() };
    const [area, name, action] = path.slice(1);
    const key = `${method} ${path[0] === 'v1' ? area ?? '' : '?'}${name === undefined ? '' : '/:name'}${action === undefined ? '' : `/${action}`}`;
    const json = (run: () => unknown): Route => ({ kind: 'json', run: () => Promise.resolve().then(run) });
    const c = this.container;
    switch (key) {
      case 'GET status':
        return json(() => this.status(query.get('timing') !== null));
      case 'GET health':
        return json(() => this.readiness());
      case 'POST stop':
        setImmediate(this.options.onStop);
        return json(() => ({ stopping: true, pid: process.pid }));
      case 'GET features':
        return json(() => c.features.list());
      case 'GET features/:name':
        return json(() => c.features.info(name as string));
      case 'POST features/:name':
        if (name === 'install') return this.install(body);
        if (name === 'uninstall') return json(() => c.features.uninstall(stringList(body, 'names'), { force: flag(body, 'force') }));
        break;
      case 'GET components': {
        const state = query.get('state');
        if (state !== null && !COMPONENT_STATES.includes(state as ComponentState)) {
          throw new HttpError(400, 'BAD_REQUEST', `Unknown state "${state}"; use one of ${COMPONENT_STATES.join(', ')}.`);
        }
        return json(() => c.components().filter((info) => state === null || info.state === state));
      }
      case 'GET components/:name':
        return json(() => c.component(name as string));
      case 'POST components/:name/enable':
        return json(() => c.enable(name as string));
      case 'POST components/:name/disable':
        return json(() => c.disable(name as string));
      case 'POST components/:name/restart':
        return json(() => c.restart(name as string));
      case 'GET config':
        return json(() => c.config.list().map((entry) => c.shownConfiguration(entry)));
      case 'GET config/:name':
        return json(() => {
          checkPid(name as string);
          const entry = c.config.get(name as string);
          if (!entry) throw new HttpError(404, 'CONFIG_NOT_FOUND', `No configuration "${name ?? ''}". Known: ${c.config.list().map((e) => e.pid).join(', ') || 'none'}.`);
          return c.shownConfiguration(entry);
        });
      case 'PATCH config/:name':
        return json(async () => c.shownConfiguration(await c.config.patch(name as string, objectField(body, 'values'))));
      case 'PUT config/:name':
        return json(async () => c.shownConfiguration(await this.replaceConfiguration(name as string, body)));
      case 'DELETE config/:name':
        return json(async () => ({ deleted: await c.config.delete(name as string) }));
      case 'GET graph':
        return json(() => this.graph(query));
      case 'GET logs':
        return json(() => this.logs(query));
      case 'POST console/:name':
        if (name === 'login') return json(() => this.consoleLogin());
        break;
      case 'GET commands':
        return json(() => this.commands());
      case 'POST commands/:name':
        return json(() => this.runCommand(name as string, body));
    }
    throw new HttpError(404, 'NOT_FOUND', `No route ${method} /${path.join('/')}.`);
  }

  /**
   * Writes a whole configuration (`PUT /v1/config/:pid`). With `keepMasked`, a masked secret (as `GET`
   * shows it) stands for the value written now: an editor can send back what it was shown. With
   * `expected` (the configuration as `GET` showed it; null for none), it is written only if `GET` would
   * show the same values and problem now: an edit never undoes a change it did not see (a file edit
   * that could not be applied included).
   * @throws HttpError 409 CONFIG_CHANGED when it would not.
   */
  private replaceConfiguration(pid: string, body: unknown): Promise<ConfigurationEntry> {
    const values = objectField(body, 'values');
    const keepMasked = flag(body, 'keepMasked');
    const expected = typeof body === 'object' && body !== null && 'expected' in body ? (body).expected : undefined;
    const c = this.container;
    if (!keepMasked && expected === undefined) return c.config.update(pid, values);
    return c.config.edit(pid, (current) => {
      const entry = c.config.get(pid);
      // What GET shows of it now: the values as written, secrets masked, and its problem.
      const shown = entry === undefined ? null : c.shownConfiguration(entry);
      if (expected !== undefined && !sameAsShown(expected, shown)) {
        throw new HttpError(409, 'CONFIG_CHANGED', `Configuration ${pid} has changed since it was read (${shown === null ? 'it was deleted' : 'a file edit, or another writer'}); nothing was written. Read it again and redo the change.`);
      }
      return keepMasked ? restoreMasked(values, current ?? {}, shown?.raw ?? shown?.values ?? {}, pid) : values;
    });
  }

  /** A one-time login link to the web console. @throws HttpError 404 when the console is not served. */
  private consoleLogin(): { url: string; expiresAt: string } {
    const sessions = this.options.consoleSessions;
    if (!sessions) throw new HttpError(404, 'CONSOLE_OFF', 'The web console is off: this container was started with --no-console.');
    const { code, expiresAt } = sessions.issueCode();
    return { url: `http://127.0.0.1:${this.port}/console/login?code=${code}`, expiresAt: new Date(expiresAt).toISOString() };
  }

  /** The last log lines, oldest first; `?after=N` only those after line N. */
  private logs(query: URLSearchParams): readonly LogEntry[] {
    const tail = this.options.logTail;
    if (!tail) throw new HttpError(404, 'LOGS_OFF', 'This container keeps no log lines.');
    const after = Number(query.get('after') ?? 0);
    if (!Number.isInteger(after) || after < 0) throw new HttpError(400, 'BAD_REQUEST', `"after" must be a line number (0 or more), not "${query.get('after') ?? ''}".`);
    return tail.recent().filter((entry) => entry.seq > after);
  }

  /** `GET /metrics`: Prometheus text. @throws HttpError 404 when metrics are off (`lattice start --no-metrics`). */
  private async metrics(): Promise<{ contentType: string; text: string }> {
    const metrics = await this.container.metrics;
    if (!metrics) throw new HttpError(404, 'METRICS_OFF', 'Metrics are off: this container was started with --no-metrics.');
    return { contentType: metrics.contentType, text: await metrics.text() };
  }

  /** The container's readiness, with the API's own phase (`starting` while boot features install). */
  async readiness(): Promise<Readiness> {
    const report = await this.container.readiness();
    const phase = this.phase === 'running' ? report.phase : this.phase;
    return { ...report, phase, ready: report.ready && phase === 'running' };
  }

  /**
   * A probe for orchestrators (`/health/live`, `/health/ready`), which needs no token: status only, no
   * details. Live: the process answers (503 once stopping). Ready: see `readiness`.
   */
  async probe(kind: 'live' | 'ready'): Promise<{ status: number; body: unknown }> {
    if (kind === 'live') return this.phase === 'stopping' ? { status: 503, body: { status: 'stopping' } } : { status: 200, body: { status: 'up' } };
    // Anyone may ask, as often as they like: for them the checks run at most once a second (and again
    // when the phase changes). The answer can be up to a second old.
    const now = performance.now();
    const last = this.lastProbe;
    if (!last || now - last.at >= PROBE_REUSE_MS || last.phase !== this.phase) this.lastProbe = { at: now, phase: this.phase, answer: this.answerReady() };
    return (this.lastProbe as { answer: Promise<{ status: number; body: unknown }> }).answer;
  }

  private async answerReady(): Promise<{ status: number; body: unknown }> {
    const report = await this.readiness();
    return {
      status: report.ready ? 200 : 503,
      body: {
        status: report.ready ? 'ready' : report.phase === 'running' ? 'not-ready' : report.phase,
        // Counts only: names and details are for those with the token (GET /v1/health).
        features: { notInstalled: report.featuresNotInstalled.length },
        components: { counted: report.components.counted, notReady: report.components.notReady.length },
        checks: { up: report.checks.filter((c) => c.status === 'up').length, down: report.checks.filter((c) => c.status === 'down').length },
      },
    };
  }

  /**
   * This node's id: --node-id, else the one the cluster store worked out (the only node of cluster.json,
   * say), if it runs; the core knows it only by its service's name.
   */
  private async nodeId(): Promise<string | null> {
    if (this.options.nodeId !== undefined) return this.options.nodeId;
    // Not while booting: status must answer at once, and the store may be activating.
    if (this.phase !== 'running') return null;
    const token = serviceToken<{ getLocalNode?: () => { id?: unknown } }>('ClusterService');
    const cluster = await this.container.getService(token).catch(() => undefined);
    try {
      const id = cluster?.getLocalNode?.().id;
      return typeof id === 'string' ? id : null;
    } catch {
      return null;
    } finally {
      if (cluster !== undefined) this.container.ungetService(cluster);
    }
  }

  private async status(timing: boolean): Promise<unknown> {
    const components = this.container.components();
    const byState: Partial<Record<ComponentState, number>> = {};
    for (const c of components) byState[c.state] = (byState[c.state] ?? 0) + 1;
    return {
      version: this.options.version,
      nodeId: await this.nodeId(),
      pid: process.pid,
      phase: this.phase,
      home: this.options.home,
      port: this.port,
      startedAt: new Date(this.startedAt).toISOString(),
      uptimeMs: Date.now() - this.startedAt,
      features: this.container.features.list().filter((f) => f.installed).map((f) => ({ name: f.name, version: f.version, installedAs: f.installedAs })),
      components: { total: components.length, byState },
      notActive: components
        .filter((c) => c.state !== 'active' && c.state !== 'satisfied')
        .map((c) => ({ name: c.name, state: c.state, why: c.why[0] ?? '', ...(c.failure && { failure: c.failure.message }) })),
      importing: this.container.unsettledImports().map((file) => this.shown(file)),
      waiting: this.container.deployFolder?.waitingFeatures() ?? [],
      failedAtStart: this.container.features.failedAtStart(),
      ...(this.boot && { boot: this.boot }),
      ...(timing && { installs: this.container.features.timings().map((t) => ({ ...t, modules: t.modules.map((m) => ({ ...m, file: this.shown(m.file) })) })) }),
    };
  }

  /** A file as status shows it: relative to the home when inside it. */
  private shown(file: string): string {
    return relative(this.options.home, file).startsWith('..') ? file : relative(this.options.home, file);
  }

  private install(body: unknown): Route {
    const names = stringList(body, 'names');
    const dryRun = flag(body, 'dryRun');
    return {
      kind: 'stream',
      run: async (write) => {
        try {
          const result = await this.container.features.install(names, {
            dryRun,
            onProgress: (progress) => {
              // Module files as status shows them: relative to the home when inside it.
              write({ progress: 'module' in progress ? { ...progress, module: this.shown(progress.module) } : progress });
            },
          });
          write({ result });
        } catch (error) {
          write(errorResponse(error).body);
        }
      },
    };
  }

  private graph(query: URLSearchParams): { text: string } {
    const format = query.get('format') ?? 'dot';
    if (format !== 'dot' && format !== 'mermaid') throw new HttpError(400, 'BAD_REQUEST', `Unknown graph format "${format}"; use dot or mermaid.`);
    const feature = query.get('feature');
    const components = this.container.components();
    const ofFeature = feature === null ? undefined : new Set(this.container.features.info(feature).components.map((c) => c.name));
    // A feature's factories bring their instances.
    const only = ofFeature && new Set(components.filter((c) => ofFeature.has(c.name) || (c.instanceOf !== undefined && ofFeature.has(c.instanceOf))).map((c) => c.name));
    return { text: renderGraph(components, format, only) };
  }

  private async commands(): Promise<CommandDescription[]> {
    const commands = await this.container.getServices(CommandService);
    try {
      return commands.map(describeCommand).sort((a, b) => `${a.scope} ${a.name}`.localeCompare(`${b.scope} ${b.name}`));
    } finally {
      for (const command of commands) this.container.ungetService(command);
    }
  }

  private async runCommand(qualified: string, body: unknown): Promise<CommandResult> {
    const [scope, name] = qualified.split(':');
    const commands = await this.container.getServices(CommandService);
    try {
      const command = commands.find((c) => c.scope === scope && c.name === name);
      if (!command) throw new HttpError(404, 'COMMAND_NOT_FOUND', `No command "${scope ?? ''} ${name ?? ''}".`);
      const args = stringList(body, 'args', true);
      const options = (typeof body === 'object' && body !== null && 'options' in body ? body.options : {}) as Record<string, string | boolean>;
      const declared = command.arguments ?? [];
      if (args.length > declared.length && declared.at(-1)?.variadic !== true) {
        throw new HttpError(400, 'USAGE', `${scope ?? ''} ${name ?? ''}: too many arguments (it takes ${declared.length === 0 ? 'none' : declared.map((arg) => arg.name).join(', ')}).`);
      }
      const missing = declared.filter((arg, i) => arg.required === true && args[i] === undefined);
      if (missing.length > 0) throw new HttpError(400, 'USAGE', `${scope ?? ''} ${name ?? ''}: missing required argument${missing.length > 1 ? 's' : ''} ${missing.map((arg) => `'${arg.name}'`).join(', ')}.`);
      let result: CommandResult | string;
      try {
        result = await command.run(args, options);
      } catch (error) {
        throw commandError(error);
      }
      return typeof result === 'string' ? { text: result } : result;
    } finally {
      for (const command of commands) this.container.ungetService(command);
    }
  }
}

/**
 * What a contributed command threw, as the API answers it: its usage errors are 400 `USAGE`, the
 * container's coded errors keep their status, anything else is the command failing (422
 * `COMMAND_FAILED`, its message): a command's error is the command's answer, not a fault of the API.
 */
function commandError(error: unknown): HttpError | LatticeError {
  if (error instanceof HttpError || LatticeError.is(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  // By name: a deploy/ module may have its own copy of the class.
  if (error instanceof Error && error.name === 'CommandUsageError') return new HttpError(400, 'USAGE', message);
  return new HttpError(422, 'COMMAND_FAILED', message);
}

function describeCommand(command: Command): CommandDescription {
  return {
    scope: command.scope,
    name: command.name,
    description: command.description,
    arguments: command.arguments ?? [],
    options: command.options ?? [],
  };
}

/** Whether `expected` (a configuration as GET showed it, or null) shows what `shown` does: the same values (as written) and problem. */
function sameAsShown(expected: unknown, shown: (ConfigurationEntry & { raw?: unknown }) | null): boolean {
  if (expected === null || shown === null) return expected === shown;
  if (typeof expected !== 'object' || Array.isArray(expected)) throw new HttpError(400, 'BAD_REQUEST', '"expected" must be the configuration as GET showed it, or null.');
  const { raw, values, problem } = expected as { raw?: unknown; values?: unknown; problem?: unknown };
  return deepEqual(raw ?? values ?? null, shown.raw ?? shown.values ?? null) && (problem ?? null) === (shown.problem ?? null);
}

function stringList(body: unknown, field: string, allowEmpty = false): string[] {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[field] : undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string') || (!allowEmpty && value.length === 0)) {
    if (allowEmpty && value === undefined) return [];
    throw new HttpError(400, 'BAD_REQUEST', `"${field}" must be ${allowEmpty ? 'a list' : 'a non-empty list'} of strings.`);
  }
  return value as string[];
}

function flag(body: unknown, field: string): boolean {
  return typeof body === 'object' && body !== null && (body as Record<string, unknown>)[field] === true;
}

function objectField(body: unknown, field: string): Record<string, unknown> {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[field] : undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, 'BAD_REQUEST', `"${field}" must be an object.`);
  return value as Record<string, unknown>;
}
