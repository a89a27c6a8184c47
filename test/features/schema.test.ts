import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, test } from 'vitest';

const root = new URL('../../', import.meta.url);
const schema = JSON.parse(await readFile(new URL('features.schema.json', root), 'utf8')) as object;
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);

describe('the published JSON Schema of features.json', () => {
  test("accepts the repo's own features.json", async () => {
    const features = JSON.parse(await readFile(fileURLToPath(new URL('features.json', root)), 'utf8')) as unknown;
    expect(validate(features), JSON.stringify(validate.errors)).toBe(true);
  });

  test('accepts every form the reader accepts', () => {
    const full = {
      $schema: './features.schema.json',
      features: [
        { name: 'api', version: '1.0.0', description: 'x', components: ['a.js'], config: { 'my.pid': { a: 1 } } },
        { name: 'app', features: ['api', { name: 'api', version: '^1.0.0' }], install: 'auto' },
      ],
      boot: ['api'],
    };
    expect(validate(full), JSON.stringify(validate.errors)).toBe(true);
  });

  const rejected: [object, string][] = [
    [{ features: [{}] }, 'a feature without a name'],
    [{ features: [{ name: 'bad name' }] }, 'a name with a space'],
    [{ features: [{ name: 'a', version: 'one' }] }, 'a version that is not semver'],
    [{ features: [{ name: 'a', colour: 'red' }] }, 'an unknown key'],
    [{ features: [{ name: 'a', config: { '../x': {} } }] }, 'a PID that is not a file name'],
    [{ features: [{ name: 'a', install: 'sometimes' }] }, 'an unknown install mode'],
    [{ feature: [] }, 'a misspelt top-level key'],
  ];
  test.each(rejected)('rejects %j (%s), as the reader does', (document) => {
    expect(validate(document)).toBe(false);
  });
});
