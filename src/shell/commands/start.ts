import { Container } from '../../container.js';
import { createLogger, type LogLevel } from '../../logging/createLogger.js';

export interface StartOptions {
  /** The container's home: `config/`, `data/`, `deploy/`. */
  home: string;
  /** The distribution's features file (default: `<home>/features.json`, if any). */
  featuresFile?: string;
  /** Features to install at start, besides the boot ones. */
  features: readonly string[];
  logLevel: LogLevel;
}

/**
 * Runs a container in the foreground: configuration, the features file (boot and remembered features),
 * the deploy folder. The first SIGINT/SIGTERM stops it gracefully (reverse dependency order) and exits 0;
 * a second one exits at once.
 */
export async function startContainer(options: StartOptions): Promise<void> {
  const logger = createLogger({ level: options.logLevel });
  const container = new Container({
    logger,
    home: options.home,
    ...(options.featuresFile !== undefined && { featuresFile: options.featuresFile }),
    bootFeatures: options.features,
  });

  // Nothing else may hold the event loop open (the components' timers can be unref'd): stay until a signal.
  const keepAlive = setInterval(() => undefined, 2 ** 30);
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal}: stopping`);
    container.stop().then(
      () => {
        clearInterval(keepAlive);
        logger.info('container stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const started = performance.now();
  await container.start();
  const states = container.components().map((c) => `${c.name}=${c.state}`);
  const features = container.features.list().filter((f) => f.installed).map((f) => `${f.name}@${f.version}`);
  logger.info({ home: options.home, features, components: states, ms: Math.round(performance.now() - started) }, 'container started');
}
