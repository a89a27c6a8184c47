import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import { jsonPath } from '../json/jsonPath.js';

/** `${env:NAME}` or `${env:NAME:-default}`. */
export const ENV_PLACEHOLDER = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${env:NAME}` and `${env:NAME:-default}` (the default when NAME is unset or empty) in every
 * string of a JSON value.
 * @throws LatticeError CONFIG_ENV_MISSING naming the JSON path, when NAME is unset and has no default.
 */
export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, path: (string | number)[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_PLACEHOLDER, (_match, name: string, fallback: string | undefined) => {
      const found = env[name];
      // As in the shell, `:-` also stands in for a variable set to nothing.
      if (fallback !== undefined && (found === undefined || found === '')) return fallback;
      if (found !== undefined) return found;
      throw new LatticeError(
        ErrorCode.CONFIG_ENV_MISSING,
        `${jsonPath(path)}: environment variable ${name} is not set; set it, or give a default as \${env:${name}:-value}`,
        { path: jsonPath(path), variable: name },
      );
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, env, [...path, i]));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substituteEnv(item, env, [...path, key])]));
  }
  return value;
}
