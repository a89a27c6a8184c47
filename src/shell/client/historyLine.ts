import { isSecretName, MASK, redactSecrets } from '../../config/secrets.js';
import { shellWord } from '../format/shellWord.js';

/**
 * A line as the history file keeps it: the values of `config set` assignments to names like secrets are
 * masked (`config set P password=••••`), nested ones too (`db={"password":"••••"}`). Other lines, and
 * lines with nothing to mask, stay as typed.
 */
export function historyLine(line: string, words: readonly string[]): string {
  if (words[0] !== 'config' || words[1] !== 'set') return line;
  const shown = words.map((word, i) => {
    const eq = word.indexOf('=');
    if (i < 3 || eq <= 0) return word;
    const key = word.slice(0, eq);
    const text = word.slice(eq + 1);
    let masked: string | undefined;
    if (isSecretName(key)) masked = MASK;
    else {
      try {
        const value = JSON.parse(text) as unknown;
        const redacted = redactSecrets(value);
        if (redacted !== value) masked = JSON.stringify(redacted);
      } catch {
        // not JSON: a plain string, not a secret by its name
      }
    }
    return masked === undefined ? word : `${key}=${masked}`;
  });
  return shown.some((word, i) => word !== words[i]) ? shown.map(shellWord).join(' ') : line;
}
