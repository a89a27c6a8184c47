import { spawn } from 'node:child_process';
import { print, type CliContext } from '../CliContext.js';

/** `lattice console`: a one-time login link to the web console; `--open` opens it in the default browser. */
export async function consoleLink(context: CliContext, options: { open?: boolean }): Promise<void> {
  const link = await (await context.client()).post<{ url: string; expiresAt: string }>('console/login');
  const opened = options.open === true && openInBrowser(link.url);
  print(context, { ...link, ...(options.open === true && { opened }) }, () =>
    [
      `Open this link in a browser on this machine (it works once, until ${new Date(link.expiresAt).toLocaleTimeString()}):`,
      `  ${link.url}`,
      ...(options.open === true && !opened ? ['(no browser could be opened here: copy the link)'] : []),
    ].join('\n'),
  );
}

/** Asks the desktop to open `url`; false when there is no opener to ask. */
function openInBrowser(url: string): boolean {
  const [command, ...args] = process.platform === 'darwin' ? ['open', url] : process.platform === 'win32' ? ['cmd', '/c', 'start', '', url] : ['xdg-open', url];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
    return child.pid !== undefined;
  } catch {
    return false;
  }
}
