/** A word as a POSIX shell (and `splitCommandLine`) reads it back: as it is when plain, else single-quoted. */
export function shellWord(word: string): string {
  return /^[\w.,:@%+=/•-]+$/u.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}
