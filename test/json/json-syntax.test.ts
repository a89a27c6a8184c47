import { describe, expect, test } from 'vitest';
import { ErrorCode, LatticeError } from '@lattice-scr/lattice';
import { parseJsonFile } from '../../src/json/parseJsonFile.js';
import { locateJsonSyntaxError } from '../../src/json/locateJsonSyntaxError.js';

describe('JSON syntax errors name the file, line and column', () => {
  test.each([
    ['', 'x.json:1:1: invalid JSON: the file is empty; a JSON value (such as {}) was expected.'],
    ['{ "a": }', 'x.json:1:8: invalid JSON: unexpected "}"; a value (object, array, string, number, true, false or null) was expected.'],
    ['{\n  "a": 1,\n}', 'x.json:3:1: invalid JSON: trailing comma before "}".'],
    ['{\n  "a": 1\n  "b": 2\n}', 'x.json:3:3: invalid JSON: expected "," or "}" after a property value, found """.'],
    ["{ 'a': 1 }", 'x.json:1:3: invalid JSON: expected a property name in double quotes, found "\'".'],
    ['{ "a": "unterminated }', 'x.json:1:8: invalid JSON: unterminated string; the closing " is missing.'],
    ['[1, 2', 'x.json:1:6: invalid JSON: unexpected end of the file inside an array; "]" is missing.'],
    ['{"a": 1} extra', 'x.json:1:10: invalid JSON: unexpected text after the end of the JSON value.'],
    ['{"a": tru}', 'x.json:1:7: invalid JSON: unexpected "t"; a value (object, array, string, number, true, false or null) was expected.'],
    ['{"a": "x\ny"}', 'x.json:1:9: invalid JSON: a line break or control character inside a string; write it as \\n or \\t.'],
    ['{"a": 01}', 'x.json:1:8: invalid JSON: expected "," or "}" after a property value, found "1".'],
    ['{"a": "\\q"}', 'x.json:1:8: invalid JSON: invalid escape "\\q" in a string.'],
  ])('%j', (text, message) => {
    let error: unknown;
    try {
      parseJsonFile(text, 'x.json');
    } catch (e) {
      error = e;
    }
    expect(LatticeError.is(error, ErrorCode.JSON_SYNTAX)).toBe(true);
    expect((error as LatticeError).message).toBe(message);
  });

  test('valid JSON parses, and the locator agrees it is valid', () => {
    const text = '{ "a": [1, -2.5e3, true, false, null, "\\u00e9\\n"], "b": {} }';
    expect(parseJsonFile(text, 'x.json')).toEqual(JSON.parse(text));
    expect(locateJsonSyntaxError(text)).toBeUndefined();
  });
});
