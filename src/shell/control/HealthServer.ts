import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { ControlApi } from './ControlApi.js';
import { answerProbe } from './ControlServer.js';
import { send } from '../../http/httpExchange.js';
import { closeServer, listen } from './httpListening.js';

/**
 * `/health/live` and `/health/ready` on a port of their own (`lattice start --health-port`), for an
 * orchestrator that cannot reach 127.0.0.1: nothing else is served there, and nothing needs a token.
 */
export class HealthServer {
  private server: Server | undefined;

  constructor(
    private readonly api: ControlApi,
    private readonly options: { readonly port: number; readonly host: string; readonly logger: Logger },
  ) {}

  /** Listens; resolves with the port (the one asked for, or the one given for 0). */
  async start(): Promise<number> {
    const server = createServer((request, response) => {
      answerProbe(this.api, request, response).then(
        (answered) => {
          if (!answered) send(response, 404, { ok: false, error: { code: 'NOT_FOUND', message: 'Only GET /health/live and /health/ready are served here.' } });
        },
        (error: unknown) => {
          this.options.logger.error({ err: error }, 'health probe failed');
          if (!response.headersSent) send(response, 500, { status: 'error' });
        },
      );
    });
    this.server = server;
    return listen(server, this.options.port, this.options.host);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeServer(server);
  }
}
