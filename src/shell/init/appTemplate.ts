/** The files `lattice init` writes: an app with one example component, in TypeScript or plain JavaScript. */

export interface AppTemplateOptions {
  /** The app's name: its npm package name and its feature's name. */
  readonly name: string;
  /** Plain JavaScript (no build) instead of TypeScript. */
  readonly js: boolean;
  /** Version ranges of the dependencies: Lattice's own, and those the app builds with. */
  readonly versions: { readonly lattice: string; readonly zod: string; readonly typescript: string; readonly typesNode: string };
}

const PACKAGE = '@lattice-scr/lattice';

/** Path → content. */
export function appFiles(options: AppTemplateOptions): Record<string, string> {
  const { name, js, versions } = options;
  const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
  const entry = js ? 'src/index.js' : 'dist/src/index.js';
  const files: Record<string, string> = {
    'package.json': json({
      name,
      version: '0.1.0',
      private: true,
      type: 'module',
      scripts: js
        ? { build: 'node --check src/index.js', start: 'lattice start', test: 'node --test test/' }
        : { build: 'tsc', start: 'npm run build && lattice start', test: 'npm run build && node --test dist/test/' },
      dependencies: { [PACKAGE]: versions.lattice, zod: versions.zod },
      ...(!js && { devDependencies: { '@types/node': versions.typesNode, typescript: versions.typescript } }),
    }),
    'features.json': json({
      $schema: `./node_modules/${PACKAGE}/features.schema.json`,
      include: [`${PACKAGE}/features.json`],
      features: [{ name, version: '0.1.0', description: `${name}: the greeter and its clock`, components: [entry] }],
      boot: [name],
    }),
    'config/greeter.json': json({ greeting: 'Hello', name: 'world' }),
    'deploy/README.md': 'Drop component modules (a `.js`/`.mjs` file, or a folder with an `index.js`) here while the app runs: they are deployed at once.\n',
    '.gitignore': 'node_modules/\ndist/\ndata/\n',
    'README.md': readme(name, js),
  };
  if (js) {
    files['src/index.js'] = "export { SystemClock, ClockService } from './clock.js';\nexport { Greeter, GreeterService } from './greeter.js';\n";
    files['src/clock.js'] = JS_CLOCK;
    files['src/greeter.js'] = JS_GREETER;
    files['test/greeter.test.js'] = JS_TEST;
  } else {
    files['tsconfig.json'] = json({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        experimentalDecorators: true,
        useDefineForClassFields: true,
        skipLibCheck: true,
        types: ['node'],
        rootDir: '.',
        outDir: 'dist',
        sourceMap: true,
      },
      include: ['src', 'test'],
    });
    files['src/index.ts'] = "export { SystemClock, ClockService, type Clock } from './clock.js';\nexport { Greeter, GreeterService } from './greeter.js';\n";
    files['src/clock.ts'] = TS_CLOCK;
    files['src/greeter.ts'] = TS_GREETER;
    files['test/greeter.test.ts'] = TS_TEST;
  }
  return files;
}

const TS_CLOCK = `import { Component, serviceToken } from '${PACKAGE}';

/** What the greeter needs: the time of day. */
export interface Clock {
  now(): Date;
}

export const ClockService = serviceToken<Clock>('Clock');

/** The real clock. A test (or another feature) can provide a ClockService of its own. */
@Component({ name: 'system-clock', service: ClockService })
export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }
}
`;

const TS_GREETER = `import { Activate, Component, Modified, Reference, serviceToken, type ComponentContext } from '${PACKAGE}';
import { z } from 'zod';
import { ClockService, type Clock } from './clock.js';

/** config/greeter.json: checked by this schema; a bad edit is refused and the last good values stay. */
const GreeterConfig = z.object({
  greeting: z.string().min(1).default('Hello'),
  name: z.string().min(1).default('world'),
});
type GreeterConfig = z.output<typeof GreeterConfig>;

export const GreeterService = serviceToken<Greeter>('Greeter');

/**
 * Greets on activation and whenever config/greeter.json changes (@Modified: the same instance is told,
 * no restart). It is active only while a Clock is there.
 */
@Component({ name: 'greeter', service: GreeterService, immediate: true, configSchema: GreeterConfig })
export class Greeter {
  @Reference({ service: ClockService }) clock!: Clock;
  private config!: GreeterConfig;
  private logger!: ComponentContext['logger'];

  @Activate
  activate(context: ComponentContext): void {
    this.logger = context.logger;
    this.config = context.config as GreeterConfig;
    this.logger.info(this.greeting());
  }

  @Modified
  modified(config: GreeterConfig): void {
    this.config = config;
    this.logger.info(\`reconfigured: \${this.greeting()}\`);
  }

  greeting(): string {
    return \`\${this.config.greeting}, \${this.config.name}! It is \${this.clock.now().toISOString().slice(11, 16)} UTC.\`;
  }
}
`;

/** The app's test, the same in TypeScript and JavaScript (after the NoonClock each defines). */
const GREETER_TEST = `test('the greeter greets with its configuration, and follows a change of it', async () => {
  const t = await startTestContainer([NoonClock, Greeter], { config: { greeter: { greeting: 'Hi', name: 'Ada' } } });
  try {
    const greeter = await t.service(GreeterService);
    assert.equal(greeter.greeting(), 'Hi, Ada! It is 12:00 UTC.');
    await t.configure('greeter', { greeting: 'Bonjour', name: 'Ada' });
    assert.equal(greeter.greeting(), 'Bonjour, Ada! It is 12:00 UTC.');
  } finally {
    await t.stop();
  }
});
`;

const TS_TEST = `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Component } from '${PACKAGE}';
import { startTestContainer } from '${PACKAGE}/testing';
import { ClockService, type Clock } from '../src/clock.js';
import { Greeter, GreeterService } from '../src/greeter.js';

/** A clock that always says noon, in place of the system clock. */
@Component({ name: 'noon-clock', service: ClockService })
class NoonClock implements Clock {
  now(): Date {
    return new Date('2026-01-01T12:00:00Z');
  }
}

${GREETER_TEST}`;

const JS_CLOCK = `import { Component, serviceToken } from '${PACKAGE}';

export const ClockService = serviceToken('Clock');

/** The real clock. A test (or another feature) can provide a ClockService of its own. */
export class SystemClock {
  now() {
    return new Date();
  }
}
// Plain JavaScript has no decorator syntax: the decorators are called as functions.
Component({ name: 'system-clock', service: ClockService })(SystemClock);
`;

const JS_GREETER = `import { Activate, Component, Modified, Reference, serviceToken } from '${PACKAGE}';
import { z } from 'zod';
import { ClockService } from './clock.js';

/** config/greeter.json: checked by this schema; a bad edit is refused and the last good values stay. */
const GreeterConfig = z.object({
  greeting: z.string().min(1).default('Hello'),
  name: z.string().min(1).default('world'),
});

export const GreeterService = serviceToken('Greeter');

/**
 * Greets on activation and whenever config/greeter.json changes (modified: the same instance is told,
 * no restart). It is active only while a Clock is there.
 */
export class Greeter {
  activate(context) {
    this.logger = context.logger;
    this.config = context.config;
    this.logger.info(this.greeting());
  }

  modified(config) {
    this.config = config;
    this.logger.info(\`reconfigured: \${this.greeting()}\`);
  }

  greeting() {
    return \`\${this.config.greeting}, \${this.config.name}! It is \${this.clock.now().toISOString().slice(11, 16)} UTC.\`;
  }
}
Reference({ service: ClockService })(Greeter.prototype, 'clock');
Activate(Greeter.prototype, 'activate');
Modified(Greeter.prototype, 'modified');
Component({ name: 'greeter', service: GreeterService, immediate: true, configSchema: GreeterConfig })(Greeter);
`;

const JS_TEST = `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Component } from '${PACKAGE}';
import { startTestContainer } from '${PACKAGE}/testing';
import { ClockService } from '../src/clock.js';
import { Greeter, GreeterService } from '../src/greeter.js';

/** A clock that always says noon, in place of the system clock. */
class NoonClock {
  now() {
    return new Date('2026-01-01T12:00:00Z');
  }
}
Component({ name: 'noon-clock', service: ClockService })(NoonClock);

${GREETER_TEST}`;

function readme(name: string, js: boolean): string {
  return `# ${name}

An app on [Lattice](https://www.npmjs.com/package/${PACKAGE}): components in \`src/\`, listed as the feature
\`${name}\` in \`features.json\` (which also includes Lattice's own features, such as \`onos-api\`).

\`\`\`
npm install
npm start          # ${js ? '' : 'builds, then '}runs the container here (its home is this folder)
npm test           # ${js ? '' : 'builds, then '}runs test/ with node --test
\`\`\`

While it runs, in another terminal: \`npx lattice status\`, \`npx lattice component info greeter\`,
\`npx lattice config set greeter name=Ada\` (or edit \`config/greeter.json\`), \`npx lattice feature install
onos-api\`, and drop component modules into \`deploy/\`. \`npx lattice stop\` stops it.
`;
}
