import { createServer, type Server } from 'node:net';

/** Makes `server` listen on `host:port`. @throws Error saying why it cannot, in words an operator can act on. */
export function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const why =
        error.code === 'EADDRINUSE'
          ? 'the port is in use (another node on this machine?); give this node a free tcpPort in config/cluster.json'
          : error.code === 'EADDRNOTAVAIL'
            ? 'this machine has no such address; give this node its own ip (or a listenIp) in config/cluster.json'
            : error.message;
      reject(new Error(`cannot listen for cluster connections on ${host}:${port}: ${why}`, { cause: error }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Whether this process could listen on `host:port` now: undefined if so, else why not (and whether the port is taken). */
export async function cannotListen(host: string, port: number): Promise<{ readonly message: string; readonly inUse: boolean } | undefined> {
  const server = createServer();
  try {
    await listen(server, host, port);
    return undefined;
  } catch (error) {
    return { message: (error as Error).message, inUse: ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE' };
  } finally {
    await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  }
}
