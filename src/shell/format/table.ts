/** Visible width of a string, ignoring ANSI colour codes. */
function width(text: string): number {
  // eslint-disable-next-line no-control-regex -- matching ANSI escape sequences is the point
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}

/**
 * `text` with its control characters shown as escapes (`\x1b`, `\n`), so that a string from elsewhere (a
 * node id, a command's output) cannot move the cursor, recolour or retitle the terminal it is printed
 * on. The colour codes this program itself adds (SGR sequences, `ESC [ ... m`) are kept.
 */
export function terminalSafe(text: string, options: { keepLines?: boolean } = {}): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this finds
  return text.replace(/(\u001b\[[0-9;]*m)|[\u0000-\u001f\u007f-\u009f]/g, (match, sgr: string | undefined) => {
    if (sgr !== undefined || (options.keepLines === true && (match === '\n' || match === '\t'))) return match;
    return `\\x${match.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/** Rows as aligned columns with a header, two spaces apart; the last column is not padded. Control characters in cells are shown as escapes. */
export function table(columns: readonly string[], rawRows: readonly (readonly string[])[]): string {
  const rows = rawRows.map((row) => row.map((cell) => terminalSafe(cell)));
  const widths = columns.map((c, i) => Math.max(width(c), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - width(cell))))
      .join('  ')
      .trimEnd();
  return [line(columns), ...rows.map(line)].join('\n');
}

/** Milliseconds as people read them: 850ms, 12.3s, 4m 05s, 2h 01m, 3d 04h. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${String(h % 24).padStart(2, '0')}h`;
}
