import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import { FolderWatcher } from '../fs/FolderWatcher.js';
import { readWithRetries } from '../fs/readWithRetries.js';
import { parseJsonFile } from '../json/parseJsonFile.js';
import { formatProblem } from './FeatureDefinition.js';
import type { FeatureService } from './FeatureService.js';
import { checkFeaturesDocument, syntaxProblem } from './readFeaturesFile.js';
import { Listeners } from '../collections/Listeners.js';

/** What a reload of the features file came to. */
export type FeaturesReloadOutcome = 'applied' | 'problem' | 'missing';

/**
 * The distribution's features file: read at start (a bad one stops the start, with every problem
 * listed), then watched. An edit that has problems is reported and the last good version stays; features
 * it removes stay installed until uninstalled.
 */
export class FeaturesFile {
  private readonly watcher: FolderWatcher;
  private readonly listeners = new Listeners<[FeaturesReloadOutcome]>((error) => {
    this.logger.error({ err: error }, 'a listener of features file reloads threw');
  });
  readonly source: string;

  constructor(
    private readonly file: string,
    private readonly service: FeatureService,
    private readonly logger: Logger,
    private readonly retryDelaysMs: readonly number[] = [10, 20, 40, 80],
  ) {
    this.source = basename(file);
    this.watcher = new FolderWatcher({
      folder: dirname(file),
      accept: (name) => name === basename(file),
      onChange: (_name, superseded) => this.reload(superseded),
      logger,
    });
  }

  /** Reads the file. @throws LatticeError FEATURES_INVALID listing every problem. */
  async load(): Promise<void> {
    const read = await readWithRetries(this.file, (text) => parseJsonFile(text, this.source));
    if (read.kind === 'missing') {
      throw new LatticeError(ErrorCode.FEATURES_INVALID, `${this.file} does not exist; create it, or start without a features file.`, { file: this.file });
    }
    if (read.kind !== 'ok') throw this.invalid([syntaxProblem(read.kind === 'failed' ? read.error : new Error('unreadable'), this.source)]);
    const { document, problems } = await checkFeaturesDocument(read.value, this.file, { source: this.source });
    this.service.setDocument(document, problems);
  }

  watch(): Promise<void> {
    return this.watcher.start();
  }

  close(): Promise<void> {
    return this.watcher.close();
  }

  onReload(listener: (outcome: FeaturesReloadOutcome) => void): () => void {
    return this.listeners.add(listener);
  }

  private async reload(superseded: () => boolean): Promise<string | undefined> {
    const read = await readWithRetries(this.file, (text) => parseJsonFile(text, this.source), { delaysMs: this.retryDelaysMs, superseded });
    if (read.kind === 'superseded') return undefined;
    let outcome: FeaturesReloadOutcome;
    if (read.kind === 'missing') {
      this.logger.error(`${this.source} was deleted; keeping the features read before`);
      outcome = 'missing';
    } else {
      const { document, problems } =
        read.kind === 'ok'
          ? await checkFeaturesDocument(read.value, this.file, { source: this.source })
          : { document: { source: this.source, features: [], boot: [] }, problems: [syntaxProblem(read.error, this.source)] };
      try {
        this.service.setDocument(document, problems);
        this.logger.info(`${this.source} reloaded: ${document.features.length} features`);
        outcome = 'applied';
      } catch (error) {
        this.logger.error((error as Error).message);
        outcome = 'problem';
      }
    }
    this.listeners.emit(outcome);
    return read.kind === 'missing' ? undefined : read.text;
  }

  private invalid(problems: Parameters<typeof formatProblem>[0][]): LatticeError {
    return new LatticeError(ErrorCode.FEATURES_INVALID, `${this.source} has problems:\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`, { file: this.source, problems });
  }
}
