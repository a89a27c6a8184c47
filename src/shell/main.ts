import { Command, Option } from 'commander';
import { readPackageVersion } from './packageVersion.js';

/** The `lattice` command line. Subcommands import what they need lazily, so each starts fast. */
const program = new Command('lattice')
  .description('Lattice: a service component container for Node.js')
  .version(readPackageVersion())
  .showHelpAfterError();

program
  .command('start')
  .description('run a container in the foreground until SIGINT/SIGTERM')
  .option('--home <dir>', 'the container\'s home: configuration in <home>/config', process.cwd())
  .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'))
  .action(async (options: { home: string; logLevel: string }) => {
    const { startContainer } = await import('./commands/start.js');
    await startContainer({ home: options.home, logLevel: options.logLevel as 'info' });
  });

await program.parseAsync();
