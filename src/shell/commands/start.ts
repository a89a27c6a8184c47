import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Container } from '../../container/Container.js';
import { createLogger, type LogLevel } from '../../logging/createLogger.js';
import { ControlApi } from '../control/ControlApi.js';
import { ControlServer } from '../control/ControlServer.js';
import { ConsoleHttp } from '../console/ConsoleHttp.js';
import { ConsoleSessions } from '../console/ConsoleSessions.js';
import { LogTail } from '../../logging/LogTail.js';
import { HealthServer } from '../control/HealthServer.js';
import { Home } from '../../home/Home.js';
import { lockHome } from '../control/homeLock.js';
import { readPackageVersion } from '../packageVersion.js';

export interface StartOptions {
  /** The container's home: `config/`, `data/`, `deploy/`. */
  home: string;
  /** The distribution's features file (default: `<home>/features.json`, if any). */
  featuresFile?: string;
  /** Features to install at start, besides the boot ones. */
  features: readonly string[];
  nodeId?: string;
  controlPort?: number;
  logLevel: LogLevel;
  importTimeoutMs?: number;
  maxConfigFileBytes?: number;
  /** Serve `/health/live` and `/health/ready` on this port too (0: any free one), on `healthHost`. */
  healthPort?: number;
  /** Where the health port listens (default 127.0.0.1; 0.0.0.0 for an orchestrator on another host). */
  healthHost?: string;
  /** The components readiness counts (default: every enabled one). */
  readyComponents?: readonly string[];
  healthCheckTimeoutMs?: number;
  /** Prometheus metrics at `GET /metrics` (default true; false spares loading prom-client). */
  metrics?: boolean;
  /** The web console at /console/ (default true). */
  console?: boolean;
}

/**
 * Runs a container in the foreground: configuration, the features file (boot and remembered features),
 * the deploy folder, and the control API. The first SIGINT/SIGTERM stops it gracefully (reverse
 * dependency order) and exits 0; a second one exits at once. Returns an exit code only when it does
 * not start (1); otherwise the process exits from its signal handler.
 */
export async function startContainer(options: StartOptions): Promise<number> {
  const home = resolve(options.home);
  // The console's log tail keeps the last lines.
  const logTail = options.console === false ? undefined : new LogTail();
  const logger = createLogger({ level: options.logLevel, ...(logTail && { tail: logTail }) });
  // A home with none of what a home holds is most often a mistyped --home: worth a word before it fills.
  const known = Home.ENTRIES.filter((name) => existsSync(join(home, name)));
  if (known.length === 0 && options.featuresFile === undefined) {
    logger.warn({ home }, `${home} ${existsSync(home) ? 'has no features.json, config/, deploy/ or data/' : 'does not exist'}: starting an empty container there (is --home right?)`);
  }
  const lock = await lockHome(home);
  if (!lock.ok) {
    process.stderr.write(`lattice: ${lock.message}\n`);
    return 1;
  }
  const container = new Container({
    logger,
    home,
    ...(options.featuresFile !== undefined && { featuresFile: options.featuresFile }),
    ...(options.nodeId !== undefined && { nodeId: options.nodeId }),
    bootFeatures: options.features,
    ...(options.importTimeoutMs !== undefined && { importTimeoutMs: options.importTimeoutMs }),
    ...(options.maxConfigFileBytes !== undefined && { maxConfigFileBytes: options.maxConfigFileBytes }),
    ...(options.readyComponents !== undefined && { readyComponents: options.readyComponents }),
    ...(options.healthCheckTimeoutMs !== undefined && { healthCheckTimeoutMs: options.healthCheckTimeoutMs }),
  });
  let server: ControlServer | undefined;
  let healthServer: HealthServer | undefined;
  const consoleSessions = options.console === false ? undefined : new ConsoleSessions();
  const api = new ControlApi(container, {
    home,
    ...(consoleSessions && { consoleSessions }),
    ...(logTail && { logTail }),
    ...(options.nodeId !== undefined && { nodeId: options.nodeId }),
    version: readPackageVersion(),
    onStop: () => {
      stop('stop requested', false);
    },
  });

  // What holds the event loop open before anything starts (stdio, mostly): what is left after a stop is
  // compared with it.
  const baseline = process.getActiveResourcesInfo();
  // Nothing else may hold the event loop open (the components' timers can be unref'd): stay until stopped.
  const keepAlive = setInterval(() => undefined, 2 ** 30);
  let stopping = false;
  const isStopping = (): boolean => stopping;
  /** A second signal forces the exit; a second stop request (the API) just joins the stop under way. */
  const stop = (why: string, repeatForces: boolean): void => {
    if (stopping) {
      if (!repeatForces) return;
      logger.warn(`${why} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    api.stopping();
    logger.info(`${why}: stopping`);
    (async () => {
      await container.stop();
      await healthServer?.close();
      await server?.close();
      await lock.release();
    })().then(
      () => {
        clearInterval(keepAlive);
        // An import that never settled keeps a port of Node's module loader open: that is not a component's doing.
        const hung = container.unsettledImports();
        const left = leftOpen(baseline).filter((kind) => hung.length === 0 || kind !== 'MessagePort');
        if (hung.length > 0) logger.warn({ modules: hung }, `the import of ${hung.join(', ')} never finished; exiting without it`);
        if (left.length > 0) {
          logger.warn({ open: left }, `still open after the stop: ${left.join(', ')} (a component that does not close its timers, sockets or watchers on deactivate)`);
        }
        logger.info('container stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => {
    stop('SIGINT', true);
  });
  process.on('SIGTERM', () => {
    stop('SIGTERM', true);
  });
  // A component's stray promise, or an exception thrown from its timer or event handler, must not go
  // unnoticed, nor take every other component down with the container.
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason }, `unhandled promise rejection: ${reason instanceof Error ? reason.message : String(reason)}`);
  });
  process.on('uncaughtException', (error) => {
    logger.error({ err: error }, `uncaught exception (from a timer or event handler, say), the container goes on: ${error.message}`);
  });

  const started = performance.now();
  try {
    // The control API comes first: while boot features install, `status` shows it, and `stop` works.
    server = new ControlServer(api, {
      home,
      ...(options.controlPort !== undefined && { port: options.controlPort }),
      ...(options.nodeId !== undefined && { nodeId: options.nodeId }),
      logger,
      ...(consoleSessions && { console: new ConsoleHttp({ api, container, sessions: consoleSessions, ...(logTail && { logTail }) }) }),
    });
    const info = await server.start();
    api.listeningOn(info.port);
    let healthPort: number | undefined;
    if (options.healthPort !== undefined) {
      healthServer = new HealthServer(api, { port: options.healthPort, host: options.healthHost ?? '127.0.0.1', logger });
      healthPort = await healthServer.start();
      logger.info({ port: healthPort, host: options.healthHost ?? '127.0.0.1' }, `health probes on ${options.healthHost ?? '127.0.0.1'}:${healthPort} (/health/live, /health/ready)`);
    }
    if (options.metrics !== false) await container.enableMetrics();
    // Traces go to the tracer provider the app set up (`node --import` of its OpenTelemetry SDK), if any.
    if (await container.enableTracing()) logger.debug('@opentelemetry/api found: each install is traced through the registered tracer provider');
    await container.start();
    api.started({ containerStartMs: performance.now() - started });
    const states = container.components().map((c) => `${c.name}=${c.state}`);
    const features = container.features.list().filter((f) => f.installed).map((f) => `${f.name}@${f.version}`);
    if (consoleSessions) logger.info({ url: `http://127.0.0.1:${info.port}/console/` }, `web console at http://127.0.0.1:${info.port}/console/ (lattice console --home ${home} gives a login link)`);
    logger.info({ home, nodeId: options.nodeId, port: info.port, ...(healthPort !== undefined && { healthPort }), features, components: states, ms: Math.round(performance.now() - started) }, 'container started');
  } catch (error) {
    // A stop requested during start (a signal) owns the shutdown; otherwise this failure does.
    if (!isStopping()) {
      logger.error({ err: error }, `the container did not start: ${(error as Error).message}`);
      process.stderr.write(`lattice: the container did not start: ${(error as Error).message}\n`);
      clearInterval(keepAlive);
      await container.stop().catch(() => undefined);
      await healthServer?.close().catch(() => undefined);
      await server?.close().catch(() => undefined);
      await lock.release();
      return 1;
    }
  }
  return 0;
}

/** Resources holding the event loop open now that were not there at `baseline` (each kind once per extra one). */
function leftOpen(baseline: readonly string[]): string[] {
  const before = new Map<string, number>();
  for (const kind of baseline) before.set(kind, (before.get(kind) ?? 0) + 1);
  const left: string[] = [];
  for (const kind of process.getActiveResourcesInfo()) {
    const count = before.get(kind) ?? 0;
    if (count > 0) before.set(kind, count - 1);
    else left.push(kind);
  }
  return left;
}
