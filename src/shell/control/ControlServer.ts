import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { writeControlFile, removeControlFile, type ControlInfo } from './controlFile.js';
import type { ControlApi } from './ControlApi.js';
import { closeServer, listen } from './httpListening.js';
import { HttpError } from '../../http/HttpError.js';
import { checkLoopbackHost, errorResponse, pathSegments, readBody, respond, send } from '../../http/httpExchange.js';
import type { ConsoleHttp } from '../console/ConsoleHttp.js';

export interface ControlServerOptions {
  readonly home: string;
  /** 0 (default): any free port. */
  readonly port?: number;
  readonly nodeId?: string;
  readonly logger: Logger;
  /** Serves the web console under /console/. */
  readonly console?: ConsoleHttp;
}

/**
 * The running container's JSON API, on 127.0.0.1 only. Every request needs the bearer token written to
 * `<home>/data/control.json` (mode 0600), and a Host header naming a loopback address, so that a web page
 * cannot reach it through DNS rebinding.
 */
export class ControlServer {
  private readonly token = randomBytes(32).toString('hex');
  private server: Server | undefined;
  private info: ControlInfo | undefined;

  constructor(
    private readonly api: ControlApi,
    private readonly options: ControlServerOptions,
  ) {}

  /** Listens, then writes the control file. */
  async start(): Promise<ControlInfo> {
    const server = createServer((request, response) => {
      void this.handle(request, response);
    });
    this.server = server;
    const port = await listen(server, this.options.port ?? 0, '127.0.0.1');
    this.info = {
      pid: process.pid,
      port,
      token: this.token,
      home: this.options.home,
      startedAt: new Date().toISOString(),
      ...(this.options.nodeId !== undefined && { nodeId: this.options.nodeId }),
    };
    await writeControlFile(this.options.home, this.info);
    return this.info;
  }

  /** Removes the control file, then stops listening. */
  async close(): Promise<void> {
    await removeControlFile(this.options.home);
    const server = this.server;
    this.server = undefined;
    if (server) await closeServer(server);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      if (await answerProbe(this.api, request, response)) return;
      const url = URL.canParse(request.url ?? '/', 'http://localhost') ? new URL(request.url ?? '/', 'http://localhost') : undefined;
      if (url && (url.pathname === '/console' || url.pathname.startsWith('/console/'))) {
        if (!this.options.console) throw new HttpError(404, 'CONSOLE_OFF', 'The web console is off: this container was started with --no-console.');
        await this.options.console.handle(request, response, url);
        return;
      }
      this.authorise(request);
      if (!url) throw new HttpError(400, 'BAD_REQUEST', `The request's URL is malformed: ${JSON.stringify(request.url ?? '')}.`);
      const body = request.method === 'GET' ? undefined : await readBody(request);
      await respond(this.api.route(request.method ?? 'GET', pathSegments(url.pathname), url.searchParams, body), response);
    } catch (error) {
      const { status, body } = errorResponse(error);
      if (status >= 500) this.options.logger.error({ err: error }, `control API: ${request.method ?? ''} ${request.url ?? ''} failed`);
      if (response.headersSent) response.end(`${JSON.stringify(body)}\n`);
      else send(response, status, body);
    }
  }

  private authorise(request: IncomingMessage): void {
    checkLoopbackHost(request);
    const header = request.headers.authorization ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
    const expected = Buffer.from(this.token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new HttpError(401, 'UNAUTHORIZED', 'Missing or wrong token; clients read it from <home>/data/control.json.');
    }
  }
}

const PROBES: Readonly<Record<string, 'live' | 'ready'>> = { '/health/live': 'live', '/health/ready': 'ready' };

/**
 * Answers `GET /health/live` and `/health/ready` (no token: they reveal only status); false for any
 * other request. The control server and the health server both answer them.
 */
export async function answerProbe(api: ControlApi, request: IncomingMessage, response: ServerResponse): Promise<boolean> {
  let path: string;
  try {
    path = new URL(request.url ?? '/', 'http://localhost').pathname;
  } catch {
    // Not a probe; the token check answers it.
    return false;
  }
  const kind = PROBES[path];
  if (kind === undefined || (request.method !== 'GET' && request.method !== 'HEAD')) return false;
  const { status, body } = await api.probe(kind);
  send(response, status, body);
  return true;
}
