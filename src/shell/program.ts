import { Command, InvalidArgumentError, Option } from 'commander';
import { COMPONENT_STATES } from '../runtime/ComponentState.js';
import type { CommandDescription } from './Command.js';
import { componentAction, componentInfo, componentList } from './client/actions/components.js';
import { configDelete, configGet, configList, configSet } from './client/actions/config.js';
import { runContributed } from './client/actions/contributed.js';
import { featureInfo, featureInstall, featureList, featureUninstall } from './client/actions/features.js';
import { graph } from './client/actions/graph.js';
import { status } from './client/actions/status.js';
import { health } from './client/actions/health.js';
import { consoleLink } from './client/actions/console.js';
import { stop } from './client/actions/stop.js';
import { cliContext, ExitCode, type CliContext } from './client/CliContext.js';
import { exitCodeOf, reportError, type RunState } from './runState.js';
import { readPackageVersion } from './packageVersion.js';

/** Names of the built-in top-level commands. */
export const BUILT_IN = ['init', 'start', 'status', 'health', 'console', 'stop', 'feature', 'component', 'config', 'graph', 'shell', 'help'] as const;

interface GlobalOptions {
  home?: string;
  json?: boolean;
}

/**
 * The `lattice` command line, built with commander. Client commands talk to the running container
 * through its control API; only `start` loads the runtime (lazily).
 */
export function buildProgram(state: RunState, defaults: { home?: string } = {}): Command {
  const program = new Command('lattice')
    .description('Lattice: a service component container for Node.js')
    .version(readPackageVersion())
    .option('--home <dir>', 'the container\'s home (default: $LATTICE_HOME or the current folder)', defaults.home)
    .option('--json', 'print JSON, for scripts')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      // With --json, the usage text shown after an error is left out too: stderr is one JSON line.
      writeErr: (text) => {
        if (state.json !== true) process.stderr.write(text);
      },
      outputError: (text, write) => {
        if (state.json === true) state.usageError ??= text.trim().replace(/^error: /, '');
        else write(text);
      },
    });

  /** Wraps a client action: builds its context, and turns failures into exit codes. */
  const action =
    <A extends unknown[]>(fn: (context: CliContext, ...args: A) => Promise<number | undefined | void>) =>
    async (...args: unknown[]): Promise<void> => {
      const command = args[args.length - 1] as Command;
      const context = cliContext(command.optsWithGlobals<GlobalOptions>());
      try {
        const code = await fn(context, ...(args.slice(0, -1) as A));
        state.exitCode = typeof code === 'number' ? code : ExitCode.OK;
      } catch (error) {
        state.exitCode = exitCodeOf(error);
        reportError(context, error, state.exitCode);
      }
    };

  program
    .command('start')
    .description('run a container in the foreground until SIGINT/SIGTERM')
    .option('--features-file <file>', 'the distribution\'s features file (default: <home>/features.json, if any)')
    .option('--features <names>', 'features to install at start, besides the boot ones (comma-separated)', (value: string) => value.split(',').map((n) => n.trim()).filter(Boolean), [] as string[])
    .option('--node-id <id>', 'this container\'s node id in a cluster (default: $LATTICE_NODE_ID)')
    .option('--control-port <port>', 'port of the control API on 127.0.0.1 (default: any free port)', (value: string) => parsePort(value))
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'))
    .option('--import-timeout <ms>', 'how long a component module may take to import, top-level awaits included (default 30000)', (value: string) => parsePositive(value, 'milliseconds'))
    .option('--max-config-bytes <n>', 'configuration files larger than this are not read (default 5242880, 5 MiB)', (value: string) => parsePositive(value, 'bytes'))
    .option('--health-port <port>', 'also serve /health/live and /health/ready (no token) on this port (0: any free one)', (value: string) => parsePort(value))
    .option('--health-host <host>', 'where the health port listens (default 127.0.0.1; 0.0.0.0 for every interface)')
    .option('--ready <components>', 'the components readiness counts (comma-separated; default: every enabled one)', (value: string) => value.split(',').map((n) => n.trim()).filter(Boolean))
    .option('--health-timeout <ms>', 'how long a health check may take before it counts as down (default 5000)', (value: string) => parsePositive(value, 'milliseconds'))
    .option('--no-metrics', 'no Prometheus metrics at GET /metrics (spares loading prom-client)')
    .option('--no-console', 'no web console at /console/ (and no log lines kept for it)')
    .action(async (options: { featuresFile?: string; features: string[]; nodeId?: string; controlPort?: number; logLevel: string; importTimeout?: number; maxConfigBytes?: number; healthPort?: number; healthHost?: string; ready?: string[]; healthTimeout?: number; metrics: boolean; console: boolean }, command: Command) => {
      const context = cliContext(command.optsWithGlobals<GlobalOptions>());
      const nodeId = options.nodeId ?? process.env.LATTICE_NODE_ID;
      if (options.healthHost !== undefined && options.healthPort === undefined) command.error('lattice: --health-host needs --health-port (the port the probes listen on).', { exitCode: ExitCode.USAGE });
      if (options.ready?.length === 0) command.error('lattice: --ready names no component; give their names, comma-separated (e.g. --ready app,db).', { exitCode: ExitCode.USAGE });
      try {
        const { startContainer } = await import('./commands/start.js');
        state.exitCode = await startContainer({
          home: context.home,
          ...(options.featuresFile !== undefined && { featuresFile: options.featuresFile }),
          features: options.features,
          ...(nodeId !== undefined && { nodeId }),
          ...(options.controlPort !== undefined && { controlPort: options.controlPort }),
          logLevel: options.logLevel as 'info',
          ...(options.importTimeout !== undefined && { importTimeoutMs: options.importTimeout }),
          ...(options.maxConfigBytes !== undefined && { maxConfigFileBytes: options.maxConfigBytes }),
          ...(options.healthPort !== undefined && { healthPort: options.healthPort }),
          ...(options.healthHost !== undefined && { healthHost: options.healthHost }),
          ...(options.ready !== undefined && { readyComponents: options.ready }),
          ...(options.healthTimeout !== undefined && { healthCheckTimeoutMs: options.healthTimeout }),
          metrics: options.metrics,
          console: options.console,
        });
      } catch (error) {
        // What fails before the container runs (the home cannot be created or locked, ...).
        state.exitCode = ExitCode.FAILED;
        reportError(context, error, state.exitCode);
      }
    });

  program
    .command('init')
    .argument('[dir]', 'the folder (default: the current one)')
    .description('write a new app: package.json, features.json, config/, deploy/, an example component and its test')
    .option('--js', 'plain JavaScript, no build (default: TypeScript)')
    .option('--force', 'write into a folder that is not empty (files of the same names are replaced)')
    .action(
      action(async (c, dir: string | undefined, o: { js?: boolean; force?: boolean }) => {
        const { initApp } = await import('./commands/init.js');
        await initApp(c, dir, o);
      }),
    );

  program
    .command('status')
    .description('node, pid, uptime, installed features, components by state, failures')
    .option('--timing', 'also how long the start and each install took: module imports, component activations')
    .action(action((c, o: { timing?: boolean }) => status(c, o)));
  program.command('stop').description('stop the container gracefully and wait until it has exited').action(action((c) => stop(c)));
  program
    .command('console')
    .description('a one-time link that logs a browser in to the web console (works once, for five minutes)')
    .option('--open', 'also open it in the default browser')
    .action(action((c, o: { open?: boolean }) => consoleLink(c, o)));
  program.command('health').description('ready or not (exit 1 when not), what keeps it from being ready, each health check').action(action((c) => health(c)));

  const feature = program.command('feature').description('list, inspect, install and uninstall features');
  feature.command('list').description('every feature, installed or not').option('--installed', 'only installed ones').action(action((c, o: { installed?: boolean }) => featureList(c, o)));
  feature.command('info').argument('<name>').description('a feature: dependencies, modules, components').action(action((c, name: string) => featureInfo(c, name)));
  feature
    .command('install')
    .argument('<names...>', 'feature names, or name@range')
    .description('install features and what they need; all or nothing')
    .option('--dry-run', 'show what would be installed, change nothing')
    .action(action((c, names: string[], o: { dryRun?: boolean }) => featureInstall(c, names, o)));
  feature
    .command('uninstall')
    .argument('<names...>')
    .description('uninstall features, and those installed only for them')
    .option('--force', 'also uninstall the installed features that need them')
    .action(action((c, names: string[], o: { force?: boolean }) => featureUninstall(c, names, o)));

  const component = program.command('component').description('list, inspect, enable, disable and restart components');
  component
    .command('list')
    .description('every component and its state')
    .addOption(new Option('--state <state>', 'only components in this state').choices(COMPONENT_STATES))
    .action(action((c, o: { state?: string }) => componentList(c, o)));
  component.command('info').argument('<name>').description('everything about a component, and why it is not active').action(action((c, name: string) => componentInfo(c, name)));
  for (const verb of ['enable', 'disable', 'restart'] as const) {
    component.command(verb).argument('<name>').description(`${verb} a component`).action(action((c, name: string) => componentAction(c, name, verb)));
  }

  const config = program.command('config').description('list, read and write configurations (config/<pid>.json)');
  config.command('list').description('every configuration').action(action((c) => configList(c)));
  config.command('get').argument('<pid>').description('a configuration\'s values').action(action((c, pid: string) => configGet(c, pid)));
  config
    .command('set')
    .argument('<pid>')
    .argument('<key=value...>', 'values; JSON where it parses (port=8080 is a number), text otherwise')
    .description('set keys of a configuration (writes the file; the component picks it up)')
    .action(action((c, pid: string, assignments: string[]) => configSet(c, pid, assignments)));
  config.command('delete').argument('<pid>').description('delete a configuration and its file').action(action((c, pid: string) => configDelete(c, pid)));

  program
    .command('graph')
    .description('components and their references, as Graphviz DOT or Mermaid')
    .addOption(new Option('--format <format>', 'output format').choices(['dot', 'mermaid']).default('dot'))
    .option('--feature <name>', 'only the components of this feature (and what they are bound to)')
    .action(action((c, o: { format?: string; feature?: string }) => graph(c, o)));

  program
    .command('shell')
    .description('an interactive session running these commands (reads commands from stdin when piped)')
    .action(
      action(async (c) => {
        const { runShell } = await import('./client/actions/shell.js');
        // The shell runs each line through a program of its own, made as this one is.
        return runShell(c, (lineState, commands, warn) => {
          const lineProgram = buildProgram(lineState, { home: c.home });
          addContributedCommands(lineProgram, commands, lineState, warn);
          return lineProgram;
        });
      }),
    );

  return program;
}

/**
 * Adds the commands components contribute, as `lattice <scope> <name>`. One that cannot be added (its
 * scope is a built-in command, its name is taken, its arguments or flags are malformed) is skipped with a
 * warning on stderr: a component's mistake must not break the command line.
 */
export function addContributedCommands(
  program: Command,
  commands: readonly CommandDescription[],
  state: RunState,
  warn: (message: string) => void = (message) => process.stderr.write(`${message}\n`),
): void {
  const scopes = new Map<string, Command>();
  for (const described of commands) {
    const label = `${described.scope} ${described.name}`;
    if ((BUILT_IN as readonly string[]).includes(described.scope)) {
      warn(`lattice: warning: skipped the contributed command "${label}": "${described.scope}" is a built-in command`);
      continue;
    }
    let scope = scopes.get(described.scope);
    if (scope?.commands.some((c) => c.name() === described.name)) {
      warn(`lattice: warning: skipped the contributed command "${label}": another component contributes it too`);
      continue;
    }
    // Built on its own first, so that a malformed declaration leaves nothing half-added.
    let sub: Command;
    try {
      // Like the built-ins: usage errors are thrown (exit 2), not an exit(1) of commander's own.
      sub = new Command(described.name).description(described.description).copyInheritedSettings(program);
      for (const arg of described.arguments) {
        const name = `${arg.name}${arg.variadic ? '...' : ''}`;
        sub.argument(arg.required ? `<${name}>` : `[${name}]`, arg.description);
      }
      for (const option of described.options) sub.option(option.flags, option.description);
    } catch (error) {
      warn(`lattice: warning: skipped the contributed command "${label}": ${(error as Error).message}`);
      continue;
    }
    if (!scope) {
      scope = program.command(described.scope).description(`commands of ${described.scope}`);
      scopes.set(described.scope, scope);
    }
    scope.addCommand(sub);
    sub.action(async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const context = cliContext(command.optsWithGlobals<GlobalOptions>());
      const positional = (args.slice(0, described.arguments.length) as (string | string[] | undefined)[]).flatMap((a) => (a === undefined ? [] : a));
      try {
        await runContributed(context, described, positional, command.opts());
        state.exitCode = ExitCode.OK;
      } catch (error) {
        state.exitCode = exitCodeOf(error);
        reportError(context, error, state.exitCode);
      }
    });
  }
}

function parsePositive(value: string, unit: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) throw new InvalidArgumentError(`a whole number of ${unit}, above 0, is needed.`);
  return number;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('a port number (0-65535) is needed.');
  return port;
}
