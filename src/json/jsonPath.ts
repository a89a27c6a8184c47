/** A JSON path as people read it: `$`, `$.nodes[2].ip`, `$["odd key"]`. */
export function jsonPath(segments: readonly (string | number | symbol)[]): string {
  let path = '$';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$]*$/.test(segment)) path += `.${segment}`;
    else path += `[${JSON.stringify(String(segment))}]`;
  }
  return path;
}
