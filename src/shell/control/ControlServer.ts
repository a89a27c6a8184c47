import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { ErrorCode } from '../../errors/ErrorCode.js';
import { LatticeError } from '../../errors/LatticeError.js';
import { writeControlFile, removeControlFile, type ControlInfo } from './controlFile.js';
import type { ControlApi } from './ControlApi.js';
import { closeServer, listen } from './httpListening.js';

export interface ControlServerOptions {
  readonly home: string;
  /** 0 (default): any free port. */
  readonly port?: number;
  readonly nodeId?: string;
  readonly logger: Logger;
}

/** An error answered with an HTTP status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
const MAX_BODY = 1024 * 1024;

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
      this.authorise(request);
      const url = new URL(request.url ?? '/', 'http://localhost');
      const body = request.method === 'GET' ? undefined : await readBody(request);
      const route = this.api.route(request.method ?? 'GET', url.pathname.split('/').filter(Boolean).map(decodeSegment), url.searchParams, body);
      if (route.kind === 'text') {
        const { contentType, text } = await route.run();
        response.writeHead(200, { 'content-type': contentType });
        response.end(text);
        return;
      }
      if (route.kind === 'stream') {
        response.writeHead(200, { 'content-type': 'application/x-ndjson' });
        await route.run((line) => {
          response.write(`${JSON.stringify(line)}\n`);
        });
        response.end();
        return;
      }
      const result = await route.run();
      send(response, 200, { ok: true, result });
    } catch (error) {
      const { status, body } = errorResponse(error);
      if (status >= 500) this.options.logger.error({ err: error }, `control API: ${request.method ?? ''} ${request.url ?? ''} failed`);
      if (response.headersSent) response.end(`${JSON.stringify(body)}\n`);
      else send(response, status, body);
    }
  }

  private authorise(request: IncomingMessage): void {
    const host = (request.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    if (!LOOPBACK_HOSTS.has(host)) throw new HttpError(403, 'FORBIDDEN_HOST', `Host "${request.headers.host ?? ''}" is not a loopback name; the control API answers only on 127.0.0.1.`);
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

export function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(`${JSON.stringify(body)}\n`);
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'BODY_TOO_LARGE', 'The request body is over 1 MiB.');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'The request body is not JSON.');
  }
}

const NOT_FOUND_CODES = new Set<string>([ErrorCode.COMPONENT_NOT_FOUND, ErrorCode.FEATURE_NOT_FOUND, ErrorCode.FEATURE_NOT_INSTALLED]);
/** A request that names something in a form it cannot have (before anything is looked up). */
const BAD_REQUEST_CODES = new Set<string>([ErrorCode.CONFIG_PID_INVALID]);

/** The error as the API answers it: `{ ok: false, error: { code, message, details } }`. */
export function errorResponse(error: unknown): { status: number; body: { ok: false; error: { code: string; message: string; details?: unknown } } } {
  if (error instanceof HttpError) return { status: error.status, body: { ok: false, error: { code: error.code, message: error.message } } };
  if (LatticeError.is(error)) {
    const status = NOT_FOUND_CODES.has(error.code) ? 404 : BAD_REQUEST_CODES.has(error.code) ? 400 : 422;
    return { status, body: { ok: false, error: { code: error.code, message: error.message, details: error.details } } };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, body: { ok: false, error: { code: 'INTERNAL', message } } };
}

/** A path segment, percent-decoded. @throws HttpError 400 when the encoding is malformed. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', `The path segment "${segment}" is not valid percent-encoding.`);
  }
}
