import type { ServerResponse } from 'node:http';
import type { Container } from '../../container/Container.js';
import type { ContainerEvent } from '../../container/ContainerEvents.js';
import type { LogEntry, LogTail } from '../../logging/LogTail.js';

/** How often an idle stream gets a comment line, so that nothing between closes it. */
const KEEPALIVE_MS = 20_000;
/** A reader that lets this much wait unread is cut off (the page's EventSource reconnects). */
const MAX_UNREAD_BYTES = 4 * 1024 * 1024;

/**
 * The console's live updates as server-sent events: `component`, `service` and `config` (the container's
 * events, as `container.on` gives them, secrets masked), `log` (each new log line). Returns the function
 * that ends the stream.
 */
export function streamEvents(container: Container, logTail: LogTail | undefined, response: ServerResponse, headers: Readonly<Record<string, string>>): () => void {
  response.writeHead(200, { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  const send = (type: string, data: ContainerEvent | LogEntry): void => {
    if (response.writableLength > MAX_UNREAD_BYTES) {
      response.destroy();
      return;
    }
    response.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  response.write(': connected\n\n');
  const stopEvents = container.on((event) => {
    send(event.type, event);
  });
  const stopLogs = logTail?.follow((entry) => {
    send('log', entry);
  });
  const keepalive = setInterval(() => response.write(': keepalive\n\n'), KEEPALIVE_MS);
  keepalive.unref();
  response.on('close', () => {
    clearInterval(keepalive);
    stopEvents();
    stopLogs?.();
  });
  return () => {
    response.end();
  };
}
