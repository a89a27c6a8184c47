import { request } from 'node:http';
import { isAlive, readControlFile, type ControlInfo } from '../control/controlFile.js';

/** No container runs in the home (exit code 3). */
export class NoContainerError extends Error {}

/** The container answered with an error (exit code 1). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/**
 * How long a request may go without a byte from the container before the client gives up: longer than
 * the slowest thing a request waits for (an install, 120 s), short of forever. `LATTICE_CLIENT_TIMEOUT_MS`
 * overrides it.
 */
const IDLE_TIMEOUT_MS = 150_000;

function idleTimeoutMs(): number {
  const fromEnv = Number(process.env.LATTICE_CLIENT_TIMEOUT_MS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : IDLE_TIMEOUT_MS;
}

interface Envelope {
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string; details?: unknown };
}

/** Talks to the container running in a home, through its control API. Loads nothing of the runtime. */
export class ControlClient {
  private constructor(readonly info: ControlInfo) {}

  /** @throws NoContainerError when no container runs in `home`. */
  static async connect(home: string): Promise<ControlClient> {
    const info = await readControlFile(home);
    if (!info || !isAlive(info.pid)) {
      throw new NoContainerError(`No container is running in ${home}${info ? ` (the one with pid ${info.pid} is gone)` : ''}. Start one with: lattice start --home ${home}`);
    }
    return new ControlClient(info);
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PATCH', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.call<T>('DELETE', path);
  }

  /** POSTs, then hands each NDJSON line to `onLine` as it arrives. */
  async stream(path: string, body: unknown, onLine: (line: Record<string, unknown>) => void): Promise<void> {
    let buffer = '';
    await this.send('POST', path, body, (chunk) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const text = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (text.trim() !== '') onLine(JSON.parse(text) as Record<string, unknown>);
      }
    });
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let text = '';
    await this.send(method, path, body, (chunk) => {
      text += chunk;
    });
    return unwrap<T>(text);
  }

  private send(method: string, path: string, body: unknown, onData: (chunk: string) => void): Promise<number> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.info.port,
          method,
          path: `/v1/${path}`,
          headers: {
            authorization: `Bearer ${this.info.token}`,
            ...(payload !== undefined && { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          res.setEncoding('utf8');
          res.on('data', onData);
          res.on('end', () => {
            resolve(res.statusCode ?? 0);
          });
          res.on('error', reject);
        },
      );
      const timeoutMs = idleTimeoutMs();
      req.setTimeout(timeoutMs, () => {
        req.destroy(new ApiError('TIMEOUT', `The container in ${this.info.home} (pid ${this.info.pid}, port ${this.info.port}) did not answer within ${timeoutMs} ms; see its log, or stop it with: kill ${this.info.pid}`));
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET') reject(new NoContainerError(`The container in ${this.info.home} does not answer (${error.code}).`));
        else reject(error);
      });
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }
}

/** The result of an API envelope. @throws ApiError */
export function unwrap<T>(text: string): T {
  let envelope: Envelope;
  try {
    envelope = JSON.parse(text) as Envelope;
  } catch {
    throw new ApiError('BAD_RESPONSE', `The container sent an answer that is not JSON: ${text.slice(0, 200)}`);
  }
  if (!envelope.ok) throw new ApiError(envelope.error?.code ?? 'UNKNOWN', envelope.error?.message ?? 'unknown error', envelope.error?.details);
  return envelope.result as T;
}
