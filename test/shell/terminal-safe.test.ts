import { describe, expect, test } from 'vitest';
import { ClusterConfigSchema } from '../../components/cluster/ClusterConfig.js';
import { paint } from '../../src/shell/format/colour.js';
import { table, terminalSafe } from '../../src/shell/format/table.js';

describe('what the CLI prints cannot drive the terminal', () => {
  test('control characters in table cells are shown as escapes; the colours the CLI adds are kept', () => {
    const hostile = 'node\u001b]0;pwned\u0007\u001b[2J\nnext';
    const printed = table(['ID', 'STATE'], [[hostile, paint('ACTIVE', 'green', true)]]);
    const cell = 'node\\x1b]0;pwned\\x07\\x1b[2J\\x0anext';
    expect(printed).toBe(`ID${' '.repeat(cell.length)}STATE\n${cell}  ${paint('ACTIVE', 'green', true)}`);
    expect(terminalSafe('two\nlines\tand\u0008', { keepLines: true })).toBe('two\nlines\tand\\x08');
  });

  test('node ids are 1 to 64 letters, digits and . _ : @ -: cluster.json refuses others', () => {
    const refused = ClusterConfigSchema.safeParse({ nodes: [{ id: 'evil\u001b[2J', ip: '127.0.0.1' }] });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toBe('a node id is 1 to 64 letters, digits and . _ : @ - (no spaces or other characters)');
    expect(ClusterConfigSchema.safeParse({ nodes: [{ id: 'node-1.eu@rack:2', ip: '::1' }, { id: '::1', ip: '::1', tcpPort: 9877 }] }).success).toBe(true);
  });
});
