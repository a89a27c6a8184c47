import { isAlive } from '../../control/controlFile.js';
import { print, type CliContext } from '../CliContext.js';

/** Asks the container to stop, then waits until its process has exited. */
export async function stop(context: CliContext, options: { timeoutMs?: number } = {}): Promise<void> {
  const client = await context.client();
  const { pid } = client.info;
  await client.post('stop');
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`The container (pid ${pid}) is still stopping after ${(options.timeoutMs ?? 120_000) / 1000} s.`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  print(context, { stopped: true, pid }, () => `Stopped the container in ${context.home} (pid ${pid}).`);
}
