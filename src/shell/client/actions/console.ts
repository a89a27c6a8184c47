import { spawn } from 'node:child_process';
import { print, type CliContext } from '../CliContext.js';

/** `lattice console`: a one-time login link to the web console; `--open` opens it in the default browser. */
export async function consoleLink(context: CliContext, options: { open?: boolean }): Promise<void> {
  const link = await (await context.client()).post<{ url: string; expiresAt: string }>('console/login');
  const opened = options.open === true && (await openInBrowser(link.url));
  print(context, { ...link, ...(options.open === true && { opened }) }, () =>
    [
      `Open this link in a browser on this machine (it works once, until ${new Date(link.expiresAt).toLocaleTimeString()}):`,
      `  ${link.url}`,
      ...(options.open === true ? [opened ? '(opened in the default browser: the link is now used)' : '(no browser could be opened here: open the link yourself)'] : []),
    ].join('\n'),
  );
}

/** How long the desktop's opener may take to say whether it opened the link. */
const OPENER_TIMEOUT_MS = 10_000;

/** Asks the desktop to open `url`; true when its opener says it did (exit code 0). */
function openInBrowser(url: string): Promise<boolean> {
  const [command, ...args] = process.platform === 'darwin' ? ['open', url] : process.platform === 'win32' ? ['cmd', '/c', 'start', '', url] : ['xdg-open', url];
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    const timer = setTimeout(() => {
      child.unref();
      resolve(true);
    }, OPENER_TIMEOUT_MS);
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      resolve(ok);
    };
    child.on('error', () => {
      done(false);
    });
    child.on('exit', (code) => {
      done(code === 0);
    });
  });
}
