import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import { HttpError } from './HttpError.js';


/** A handled route: a JSON answer, NDJSON lines streamed as the work goes on, or text. */
export type Route =
  | { kind: 'json'; run: () => Promise<unknown> }
  | { kind: 'stream'; run: (write: (line: unknown) => void) => Promise<void> }
  | { kind: 'text'; run: () => Promise<{ readonly contentType: string; readonly text: string }> };

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
const MAX_BODY = 1024 * 1024;

/**
 * Refuses a request whose Host header is not a loopback name: a web page cannot then reach the
 * container through DNS rebinding. @throws HttpError 403
 */
export function checkLoopbackHost(request: IncomingMessage): void {
  const host = (request.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  if (!LOOPBACK_HOSTS.has(host)) throw new HttpError(403, 'FORBIDDEN_HOST', `Host "${request.headers.host ?? ''}" is not a loopback name; the control API answers only on 127.0.0.1.`);
}

/** Runs a route and sends its answer: `{ ok: true, result }`, the NDJSON lines, or the text. */
export async function respond(route: Route, response: ServerResponse, headers: Readonly<Record<string, string>> = {}): Promise<void> {
  if (route.kind === 'text') {
    const { contentType, text } = await route.run();
    response.writeHead(200, { ...headers, 'content-type': contentType });
    response.end(text);
    return;
  }
  if (route.kind === 'stream') {
    response.writeHead(200, { ...headers, 'content-type': 'application/x-ndjson' });
    await route.run((line) => {
      response.write(`${JSON.stringify(line)}\n`);
    });
    response.end();
    return;
  }
  const result = await route.run();
  send(response, 200, { ok: true, result }, headers);
}

export function send(response: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  response.writeHead(status, { ...headers, 'content-type': 'application/json' });
  response.end(`${JSON.stringify(body)}\n`);
}

/** The request's body as JSON (`{}` when empty). @throws HttpError 413 over 1 MiB, 400 when it is not JSON */
export async function readBody(request: IncomingMessage): Promise<unknown> {
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

/** A URL path as percent-decoded segments. @throws HttpError 400 when the encoding is malformed. */
export function pathSegments(pathname: string): string[] {
  return pathname.split('/').filter(Boolean).map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      throw new HttpError(400, 'BAD_REQUEST', `The path segment "${segment}" is not valid percent-encoding.`);
    }
  });
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
