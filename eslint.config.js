// @ts-check
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/, bottom first (folders, and the files at its top). A module may import from its own
 * layer and the layers below, never from one above: each layer is usable without those above it.
 */
const LAYERS = [
  ['errors', 'collections', 'async', 'json'],
  ['fs', 'filter', 'http', 'home'],
  ['config'],
  ['component'],
  ['runtime'],
  ['modules', 'health', 'metrics', 'logging'],
  ['features'],
  ['deploy', 'tracing'],
  ['container', 'testing'],
  ['shell'],
  ['index.ts'],
];
const path = (name) => `./src/${name}`;
/** For each layer, the layers above it are off limits. */
const layerZones = LAYERS.slice(0, -1).map((layer, i) => ({
  target: layer.map(path),
  from: LAYERS.slice(i + 1).flat().map(path),
  message: 'A lower layer of src/ imports a higher one (see the layers in eslint.config.js and docs/architecture.md).',
}));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-invalid-void-type': 'off',
      // locateService<T>() style: the caller names the type it expects, on purpose.
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
    },
  },
  {
    files: ['test/**', 'bench/**'],
    rules: {
      'no-console': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Imports: no circles, no layer importing a higher one, and component modules only through the public API.
    files: ['src/**/*.ts', 'components/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            ...layerZones,
            { target: './components', from: './src', except: ['./index.ts'], message: 'Component modules use only the public API (src/index.ts, as @lattice-scr/lattice).' },
          ],
        },
      ],
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  { files: ['bin/**/*.js', 'scripts/**/*.js'], languageOptions: { globals: globals.node } },
  // The web console's page: plain modules run by the browser.
  { files: ['src/shell/console/web/**/*.js'], languageOptions: { globals: globals.browser } },
);
