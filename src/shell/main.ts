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
  .option('--home <dir>', 'the container\'s home: config/, data/, deploy/ (and features.json, by default)', process.cwd())
  .option('--features-file <file>', 'the distribution\'s features file (default: <home>/features.json, if any)')
  .option('--features <names>', 'features to install at start, besides boot ones (comma-separated)', (value: string) => value.split(',').map((n) => n.trim()).filter(Boolean), [] as string[])
  .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'))
  .action(async (options: { home: string; featuresFile?: string; features: string[]; logLevel: string }) => {
    const { startContainer } = await import('./commands/start.js');
    await startContainer({
      home: options.home,
      ...(options.featuresFile !== undefined && { featuresFile: options.featuresFile }),
      features: options.features,
      logLevel: options.logLevel as 'info',
    });
  });

await program.parseAsync();
