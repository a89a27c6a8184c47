/** Prints rows as an aligned table. */
export function printTable(title: string, header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

export const ms = (value: number): string => `${value.toFixed(1)} ms`;
export const ratio = (ours: number, base: number): string => `${(ours / base).toFixed(2)}x`;
export const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

/** Heap in use after a full collection, when node runs with --expose-gc. */
export function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}
