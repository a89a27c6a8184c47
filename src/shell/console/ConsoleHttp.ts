import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Container } from '../../container/Container.js';
import type { LogTail } from '../../logging/LogTail.js';
import type { ControlApi } from '../control/ControlApi.js';
import { HttpError } from '../../http/HttpError.js';
import { checkLoopbackHost, pathSegments, readBody, respond, send } from '../../http/httpExchange.js';
import { streamEvents } from './ConsoleEvents.js';
import { ConsoleFiles } from './consoleFiles.js';
import type { ConsoleSessions } from './ConsoleSessions.js';

/**
 * Scripts, styles and connections from the console's own origin only (WebAssembly for Graphviz); no
 * inline script or style, no frames, no plugins.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};
const API_HEADERS: Readonly<Record<string, string>> = { ...HEADERS, 'cache-control': 'no-store' };

export interface ConsoleHttpOptions {
  readonly api: ControlApi;
  readonly container: Container;
  readonly sessions: ConsoleSessions;
  readonly logTail?: LogTail;
}

/**
 * The web console under /console/: its page and libraries, `login` (a one-time code for a session
 * cookie), and under /console/api/ the control API's routes and a stream of live events, for the
 * session's cookie instead of the token. Every request needs a loopback Host; every request that
 * changes something needs an Origin of this server's own.
 */
export class ConsoleHttp {
  private readonly files = new ConsoleFiles();

  constructor(private readonly options: ConsoleHttpOptions) {}

  async handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    // On every answer, errors included.
    for (const [name, value] of Object.entries(HEADERS)) response.setHeader(name, value);
    checkLoopbackHost(request);
    const method = request.method ?? 'GET';
    const path = url.pathname === '/console' ? '' : url.pathname.slice('/console/'.length);
    if (path === 'login' && method === 'GET') {
      this.login(request, response, url.searchParams.get('code') ?? '');
      return;
    }
    if (path === 'api' || path.startsWith('api/')) {
      await this.api(request, response, method, url, path.slice('api/'.length));
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not served under /console/.`);
    if (url.pathname === '/console') {
      response.writeHead(308, { ...HEADERS, location: '/console/' });
      response.end();
      return;
    }
    const file = await this.files.get(path);
    if (!file) throw new HttpError(404, 'NOT_FOUND', `No console file /console/${path}.`);
    response.writeHead(200, { ...HEADERS, 'content-type': file.contentType, 'cache-control': 'no-cache' });
    response.end(method === 'HEAD' ? undefined : file.body);
  }

  private login(request: IncomingMessage, response: ServerResponse, code: string): void {
    const session = this.options.sessions.redeem(code);
    if (session === undefined) {
      response.writeHead(401, { ...HEADERS, 'content-type': 'text/html; charset=utf-8' });
      response.end(
        '<!doctype html><meta charset="utf-8"><title>Lattice console</title><link rel="stylesheet" href="/console/console.css"><link rel="icon" href="data:,">' +
          '<main class="login"><h1>This login link is used or expired</h1><p>Each link works once, for five minutes. Run <code>lattice console --home HOME</code> for a new one.</p></main>\n',
      );
      return;
    }
    response.writeHead(303, { ...HEADERS, 'set-cookie': `${this.cookieName(request)}=${session}; Path=/console; HttpOnly; SameSite=Strict`, location: '/console/' });
    response.end();
  }

  private async api(request: IncomingMessage, response: ServerResponse, method: string, url: URL, path: string): Promise<void> {
    const session = this.sessionOf(request);
    if (!this.options.sessions.touch(session)) throw new HttpError(401, 'CONSOLE_LOGIN', 'Not logged in to the console, or the session ended; run `lattice console` for a login link.');
    // A cross-site page cannot send the cookie (SameSite=Strict); this refuses anything else that is not this page.
    if (method !== 'GET' && method !== 'HEAD') this.checkOrigin(request);
    if (path === 'events' && method === 'GET') {
      const end = streamEvents(this.options.container, this.options.logTail, response, API_HEADERS);
      const forget = this.options.sessions.onEnd(session as string, end);
      response.on('close', forget);
      return;
    }
    if (path === 'logout' && method === 'POST') {
      this.options.sessions.end(session);
      send(response, 200, { ok: true, result: { loggedOut: true } }, { ...API_HEADERS, 'set-cookie': `${this.cookieName(request)}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0` });
      return;
    }
    const body = method === 'GET' ? undefined : await readBody(request);
    await respond(this.options.api.route(method, pathSegments(path), url.searchParams, body), response, API_HEADERS);
  }

  private checkOrigin(request: IncomingMessage): void {
    const origin = request.headers.origin;
    if (origin !== `http://${request.headers.host ?? ''}`) {
      const given = origin === undefined ? 'A request without an Origin header' : `Origin "${origin}"`;
      throw new HttpError(403, 'FORBIDDEN_ORIGIN', `${given} cannot change anything: changes are taken only from the console's own page (Origin http://${request.headers.host ?? ''}).`);
    }
  }

  /** One cookie per port: browsers share cookies between the ports of a host, and each container has its own sessions. */
  private cookieName(request: IncomingMessage): string {
    const port = /:(\d+)$/.exec(request.headers.host ?? '')?.[1] ?? '80';
    return `lattice_console_${port}`;
  }

  private sessionOf(request: IncomingMessage): string | undefined {
    const name = this.cookieName(request);
    for (const part of (request.headers.cookie ?? '').split(';')) {
      const [key, ...value] = part.trim().split('=');
      if (key === name) return value.join('=');
    }
    return undefined;
  }
}
