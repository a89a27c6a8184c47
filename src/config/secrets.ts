import type { StandardSchemaV1 } from './StandardSchema.js';
import { ENV_PLACEHOLDER } from './substituteEnv.js';
import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import { deepEqual } from '../json/deepEqual.js';
import { jsonPath } from '../json/jsonPath.js';
import type { ConfigurationValues } from './ConfigurationEntry.js';

/** What a secret value is shown as. */
export const MASK = '••••';

/**
 * Ends in `secret`, `password`, `passphrase` or `token` (`apiToken`, `db.password`); is `key` or ends in
 * `.key`, `_key`, `-key`; or ends in a key that is a credential (`apiKey`, `privateKey`, `secretKey`,
 * `accessKey`, `signingKey`, `encryptionKey`, `hmacKey`, `masterKey`, `authKey`, `sharedKey`,
 * `clientKey`, `sessionKey`), not one that names a thing (`primaryKey`, `routingKey`). Any case.
 */
const SECRET_NAME = /(secret|password|passphrase|token)$|(^|[._-])key$|(api|private|secret|access|signing|encryption|hmac|master|auth|shared|client|session)key$/i;

/** Whether a property's name alone says it holds a secret. */
export function isSecretName(key: string): boolean {
  return SECRET_NAME.test(key);
}

/** A JSON Schema object as a Standard Schema library emits it: read with care, it is someone else's data. */
export type JsonSchemaNode = Readonly<Record<string, unknown>>;

/** A node with the document its `$ref`s point into. */
interface Located {
  readonly node: JsonSchemaNode;
  readonly root: JsonSchemaNode;
}

/** The JSON Schemas of each schema, computed once. */
const jsonSchemas = new WeakMap<object, readonly JsonSchemaNode[]>();

/**
 * The JSON Schemas, input and output, of a Standard Schema (zod 4.2+, arktype, valibot with its
 * adapter implement `~standard.jsonSchema`), whose `writeOnly: true` or `secret: true` marks secret
 * properties (`z.string().meta({ secret: true })`). None when the library gives none.
 */
export function secretMarksOf(schema: StandardSchemaV1 | undefined): readonly JsonSchemaNode[] {
  if (schema === undefined) return [];
  let found = jsonSchemas.get(schema);
  if (found === undefined) {
    const converter = (schema['~standard'] as { jsonSchema?: Record<'input' | 'output', ((options: object) => unknown) | undefined> }).jsonSchema;
    const documents: JsonSchemaNode[] = [];
    for (const side of ['input', 'output'] as const) {
      try {
        // `unrepresentable: 'any'` is zod's: a custom type becomes "anything" instead of throwing.
        const json = converter?.[side]?.({ target: 'draft-2020-12', libraryOptions: { unrepresentable: 'any' } });
        if (isNode(json)) documents.push(json);
      } catch {
        // A schema the library cannot express in JSON Schema: property names still mark secrets.
      }
    }
    found = documents;
    jsonSchemas.set(schema, found);
  }
  return found;
}

/**
 * Secrets in `value` shown as `••••`: properties named like a secret, or marked secret by one of
 * `schemas` (JSON Schemas, see `secretMarksOf`). With `written`, `value` is a configuration as written:
 * its `${env:NAME}` placeholders stay, only literal text is masked. Returns `value` itself when it
 * holds no secret.
 */
export function redactSecrets<T>(value: T, schemas: readonly JsonSchemaNode[] = [], written = false): T {
  const located = schemas.flatMap((root) => expand(root, root, 0));
  return walk(value, located, written) as T;
}

function walk(value: unknown, nodes: readonly Located[], written: boolean): unknown {
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    let changed = false;
    for (const [i, item] of value.entries()) {
      const children = nodes.flatMap((l) => schemaAt(l, l.node.prefixItems, i) ?? schemaAt(l, l.node, 'items') ?? []);
      const shown = marked(children) ? mask(item, written) : walk(item, children, written);
      if (shown !== item) changed = true;
      items.push(shown);
    }
    return changed ? items : value;
  }
  if (typeof value !== 'object' || value === null) return value;
  const entries: [string, unknown][] = [];
  let changed = false;
  for (const [key, item] of Object.entries(value)) {
    const children = nodes.flatMap((l) => schemaAt(l, l.node.properties, key) ?? schemaAt(l, l.node, 'additionalProperties') ?? []);
    const shown = isSecretName(key) || marked(children) ? mask(item, written) : walk(item, children, written);
    if (shown !== item) changed = true;
    entries.push([key, shown]);
  }
  return changed ? Object.fromEntries(entries) : value;
}

function marked(nodes: readonly Located[]): boolean {
  return nodes.some((l) => l.node.writeOnly === true || l.node.secret === true);
}

/** A secret as shown: `••••`; as written, its placeholders stay and their defaults are masked. */
function mask(value: unknown, written: boolean): unknown {
  if (value === undefined || value === null) return value;
  if (!written || typeof value !== 'string') return MASK;
  const placeholders = [...value.matchAll(ENV_PLACEHOLDER)].map(([, name, fallback]) => `\${env:${name}${fallback === undefined ? '' : `:-${MASK}`}}`);
  const literal = value.replace(ENV_PLACEHOLDER, '') !== '';
  return (literal ? MASK : '') + placeholders.join('');
}

/** `node` with its `$ref`, `allOf`, `anyOf` and `oneOf` followed: every node that may describe the value. */
function expand(node: unknown, root: JsonSchemaNode, depth: number): Located[] {
  if (depth > 16 || !isNode(node)) return [];
  const found: Located[] = [{ node, root }];
  if (typeof node.$ref === 'string') found.push(...expand(resolveRef(node.$ref, root), root, depth + 1));
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const branches = node[key];
    if (Array.isArray(branches)) for (const branch of branches) found.push(...expand(branch, root, depth + 1));
  }
  return found;
}

/** A local reference such as `#/$defs/Node`. */
function resolveRef(ref: string, root: JsonSchemaNode): unknown {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(1).split('/').filter(Boolean)) {
    node = isNode(node) ? node[decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  }
  return node;
}

/** The schemas of `container[key]` (a property, an item), or undefined when it has none. */
function schemaAt({ root }: Located, container: unknown, key: string | number): Located[] | undefined {
  if (typeof key === 'number' ? !Array.isArray(container) : !isNode(container) || !Object.hasOwn(container, key)) return undefined;
  const child = (container as Record<string | number, unknown>)[key];
  return isNode(child) ? expand(child, root, 0) : undefined;
}

function isNode(value: unknown): value is JsonSchemaNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `edited` (a configuration as it was `shown`, secrets masked, then edited) with each masked value put
 * back as written in `current`: an editor can send back the secrets it was shown as `••••`. A masked
 * value is kept only where it is exactly what was shown at that place, and, in a list, only in an item
 * left as it was shown (an item moved, or another removed before it, would take another's secret), and
 * not in an item of nothing but masks in a list longer or shorter than shown (which is which cannot be told).
 * @throws LatticeError CONFIG_INVALID naming the place, when a masked value cannot be kept: write the value itself.
 */
export function restoreMasked(edited: Record<string, unknown>, current: ConfigurationValues, shown: ConfigurationValues, pid: string): Record<string, unknown> {
  const refuse = (path: readonly (string | number)[], why: string): never => {
    throw new LatticeError(ErrorCode.CONFIG_INVALID, `Configuration ${pid}: ${jsonPath(path)} holds "${MASK}", a masked secret, but ${why}; write the value itself.`, { pid, path: jsonPath(path) });
  };
  const restore = (value: unknown, was: unknown, wasShown: unknown, path: (string | number)[]): unknown => {
    if (typeof value === 'string' && value.includes(MASK)) {
      if (was === undefined || value !== wasShown) refuse(path, was === undefined ? 'there is no value there to keep' : 'it is not the value shown there');
      return was;
    }
    if (Array.isArray(value)) {
      const shownItems: readonly unknown[] = Array.isArray(wasShown) ? wasShown : [];
      return (value as unknown[]).map((item, i) => {
        if (!holdsMask(item)) return item;
        if (!deepEqual(item, shownItems[i])) refuse([...path, i], 'the list item is not the one shown at that place (moved, changed, or another removed before it)');
        // Items that show nothing but masks look alike: with the list longer or shorter than shown, which one is which cannot be told.
        if (value.length !== shownItems.length && !holdsUnmasked(item)) refuse([...path, i], 'the list is not as long as shown, and this item shows nothing but masked values, so which it is cannot be told');
        return (was as unknown[])[i];
      });
    }
    if (typeof value === 'object' && value !== null) {
      const from = isNode(was) ? was : {};
      const fromShown = isNode(wasShown) ? wasShown : {};
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, restore(item, from[key], fromShown[key], [...path, key])]));
    }
    return value;
  };
  return restore(edited, current, shown, []) as Record<string, unknown>;
}

/** Whether `value` holds something that is not masked (a value, or a key beside the masked ones to tell it by). */
function holdsUnmasked(value: unknown): boolean {
  if (typeof value === 'string') return !value.includes(MASK);
  if (Array.isArray(value)) return value.some(holdsUnmasked);
  if (typeof value === 'object' && value !== null) return Object.values(value).some(holdsUnmasked);
  return true;
}

function holdsMask(value: unknown): boolean {
  if (typeof value === 'string') return value.includes(MASK);
  if (typeof value === 'object' && value !== null) return Object.values(value).some(holdsMask);
  return false;
}
