import { createServer } from 'node:net';

/** Whether `port` can be listened on at 127.0.0.1 right now (it is released again at once). */
export function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => {
      resolve(false);
    });
    server.listen(port, '127.0.0.1', () => {
      server.close(() => {
        resolve(true);
      });
    });
  });
}

/**
 * The first `count` ports from `from` up that can be listened on, for tools that start cluster nodes
 * (the demo, the benchmarks). Not `listen(0)`-and-release: the system hands those out again from its
 * ephemeral range — to a node's control API, say — before the node binds them; these lie below it.
 */
export async function freePortsFrom(from: number, count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let port = from; ports.length < count && port < from + 200; port++) if (await canListen(port)) ports.push(port);
  if (ports.length < count) throw new Error(`no ${count} free ports from ${from} to ${from + 199}`);
  return ports;
}
