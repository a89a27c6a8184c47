// The control API as the console's page calls it: same origin, the session cookie, JSON.

/** An error the container answered with: its code, message and details (a schema's problems, say). */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const listeners = new Set();

/** Calls `listener` when a request finds the session gone (401). */
export function onLoggedOut(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

async function call(method, path, body) {
  try {
    return await fetch(`api/${path}`, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'NO_ANSWER', 'The container does not answer: it has stopped, or cannot be reached. What is shown is from before.');
  }
}

async function answer(response) {
  let envelope;
  try {
    envelope = await response.json();
  } catch {
    throw new ApiError(response.status, 'BAD_ANSWER', `The container answered ${response.status} without JSON.`);
  }
  if (response.status === 401) for (const listener of listeners) listener();
  if (!envelope.ok) throw new ApiError(response.status, envelope.error.code, envelope.error.message, envelope.error.details);
  return envelope.result;
}

export const api = {
  get: async (path) => answer(await call('GET', `v1/${path}`)),
  post: async (path, body = {}) => answer(await call('POST', `v1/${path}`, body)),
  put: async (path, body) => answer(await call('PUT', `v1/${path}`, body)),
  delete: async (path) => answer(await call('DELETE', `v1/${path}`)),
  logout: async () => answer(await call('POST', 'logout', {})),
};

/** A path segment for a name (a component, a PID): percent-encoded. */
export const segment = (name) => encodeURIComponent(name);

/**
 * Installs features, calling `onLine` with each NDJSON line as it comes (`{ progress }`, then `{ result }`
 * or `{ ok: false, error }`). Resolves with the last line.
 */
export async function installFeatures(names, dryRun, onLine) {
  const response = await call('POST', 'v1/features/install', { names, dryRun });
  if (!response.ok) return answer(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  let last;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line === '') continue;
      last = JSON.parse(line);
      onLine(last);
    }
  }
  if (last && last.ok === false) throw new ApiError(422, last.error.code, last.error.message, last.error.details);
  return last?.result;
}

/**
 * The container's live events (server-sent): `onEvent(type, data)` for component, service, config and log
 * events; `onStatus('live' | 'reconnecting')` as the stream comes and goes. Returns the function that closes it.
 */
export function followEvents(onEvent, onStatus) {
  let source;
  let retry;
  const open = () => {
    source = new EventSource('api/events');
    for (const type of ['component', 'service', 'config', 'log']) {
      source.addEventListener(type, (event) => onEvent(type, JSON.parse(event.data)));
    }
    source.addEventListener('open', () => onStatus('live'));
    source.addEventListener('error', () => {
      onStatus('reconnecting');
      // Refused (the session ended, or the container restarted without it): EventSource gives up for
      // good. Asking tells the page when it is logged out; otherwise try again.
      if (source.readyState === EventSource.CLOSED) {
        api.get('status').catch(() => undefined);
        retry = setTimeout(open, 2000);
      }
    });
  };
  open();
  return () => {
    clearTimeout(retry);
    source.close();
  };
}
