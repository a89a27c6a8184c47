/** How deep arrays and objects may nest in a JSON document Lattice reads: deeper is refused, not overflowed. */
export const MAX_JSON_DEPTH = 256;

/**
 * The offset in a JSON text where nesting first goes deeper than `max`, or undefined. A scan of the
 * brackets outside strings, without parsing: it runs before JSON.parse, whose result the recursive code
 * after it (and the syntax error locator) could not take.
 */
export function tooDeepAt(text: string, max = MAX_JSON_DEPTH): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return undefined;
}

/** The path (keys and indexes) to the first value nested deeper than `max` in `value`, or undefined. Iterative. */
export function tooDeepPath(value: unknown, max = MAX_JSON_DEPTH): (string | number)[] | undefined {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop() as { value: unknown; path: (string | number)[] };
    if (typeof current !== 'object' || current === null) continue;
    if (path.length >= max) return path;
    if (Array.isArray(current)) current.forEach((item, i) => stack.push({ value: item, path: [...path, i] }));
    else for (const [key, item] of Object.entries(current)) stack.push({ value: item, path: [...path, key] });
  }
  return undefined;
}
