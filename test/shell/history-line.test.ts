import { describe, expect, test } from 'vitest';
import { historyLine } from '../../src/shell/client/historyLine.js';
import { splitCommandLine } from '../../src/shell/client/splitCommandLine.js';

const kept = (line: string): string => historyLine(line, splitCommandLine(line));

describe('the shell history keeps no secret typed into config set', () => {
  test('assignments to secret names, however quoted or escaped, and secrets nested in JSON values', () => {
    expect(kept('config set ex password=hunter2 port=7')).toBe('config set ex password=•••• port=7');
    expect(kept('config set ex "password=hunter2 whole"')).toBe('config set ex password=••••');
    expect(kept('config set ex password=hunter2\\ tail')).toBe('config set ex password=••••');
    expect(kept(`config set ex db='{"password":"hunter2","host":"h"}'`)).toBe(`config set ex 'db={"password":"••••","host":"h"}'`);
    expect(kept(`config set ex note="it's fine" apiToken=t`)).toBe(`config set ex 'note=it'\\''s fine' apiToken=••••`);
    // What it writes reads back as the same words.
    expect(splitCommandLine(kept(`config set ex note="it's fine" apiToken=t`))).toEqual(['config', 'set', 'ex', "note=it's fine", 'apiToken=••••']);
  });

  test('other lines, and lines with nothing to mask, stay as typed', () => {
    for (const line of ['config set ex  port=7   host="a b"', 'config get password=x', 'status', 'config set password=x']) expect(kept(line)).toBe(line);
  });
});
