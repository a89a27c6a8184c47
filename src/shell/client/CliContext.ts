import { resolve } from 'node:path';
import { useColour } from '../format/colour.js';
import { ControlClient } from './ControlClient.js';

/** What every client command gets: where the container is, and how to print. */
export interface CliContext {
  readonly home: string;
  readonly json: boolean;
  readonly colour: boolean;
  out(text: string): void;
  err(text: string): void;
  /** The client of the container in `home`. @throws NoContainerError */
  client(): Promise<ControlClient>;
}

/** Exit codes that mean something to scripts. */
export const ExitCode = { OK: 0, FAILED: 1, USAGE: 2, NO_CONTAINER: 3 } as const;

export function cliContext(options: { home?: string; json?: boolean }): CliContext {
  const home = resolve(options.home ?? process.env.LATTICE_HOME ?? process.cwd());
  let client: Promise<ControlClient> | undefined;
  return {
    home,
    json: options.json === true,
    colour: useColour(),
    out: (text) => {
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    err: (text) => {
      process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    client: () => (client ??= ControlClient.connect(home)),
  };
}

/** Prints `data` as JSON with --json, else `human()`. */
export function print(context: CliContext, data: unknown, human: () => string): void {
  context.out(context.json ? JSON.stringify(data, null, 2) : human());
}
