import type { StandardSchemaV1 } from './StandardSchema.js';
import { ENV_PLACEHOLDER } from './substituteEnv.js';

/** What a secret value is shown as. */
export const MASK = '••••';

/** `secret`, `password`, `passphrase`, `token` (also as endings: `apiToken`, `db.password`), `key` or `*.key`, `*_key`, `apiKey`, `privateKey`. */
const SECRET_NAME = /(secret|password|passphrase|token)$|(^|[._-]|api|private)key$/i;

/** Whether a property's name alone says it holds a secret. */
export function isSecretName(key: string): boolean {
  return SECRET_NAME.test(key);
}

/** A JSON Schema (as a Standard Schema library emits it), only the parts that locate properties. */
export interface JsonSchemaNode {
  readonly properties?: Readonly<Record<string, JsonSchemaNode>>;
  readonly additionalProperties?: JsonSchemaNode | boolean;
  readonly items?: JsonSchemaNode | boolean;
  readonly prefixItems?: readonly JsonSchemaNode[];
  readonly anyOf?: readonly JsonSchemaNode[];
  readonly oneOf?: readonly JsonSchemaNode[];
  readonly allOf?: readonly JsonSchemaNode[];
  readonly $ref?: string;
  readonly writeOnly?: boolean;
  readonly secret?: boolean;
}

/** A node with the document its `$ref`s point into. */
interface Located {
  readonly node: JsonSchemaNode;
  readonly root: JsonSchemaNode;
}

/** The JSON Schema of each schema, computed once: null when the library offers none. */
const jsonSchemas = new WeakMap<object, JsonSchemaNode | null>();

/**
 * The JSON Schema of a Standard Schema (zod 4.2+, arktype, valibot with its adapter implement
 * `~standard.jsonSchema`), whose `writeOnly: true` or `secret: true` marks secret properties
 * (`z.string().meta({ secret: true })`). Undefined when the library gives none.
 */
export function secretMarksOf(schema: StandardSchemaV1 | undefined): JsonSchemaNode | undefined {
  if (schema === undefined) return undefined;
  let found = jsonSchemas.get(schema);
  if (found === undefined) {
    found = null;
    const converter = (schema['~standard'] as { jsonSchema?: { input?: (options: object) => unknown } }).jsonSchema;
    try {
      // `unrepresentable: 'any'` is zod's: a custom type becomes "anything" instead of throwing.
      const json = converter?.input?.({ target: 'draft-2020-12', libraryOptions: { unrepresentable: 'any' } });
      if (typeof json === 'object' && json !== null) found = json as JsonSchemaNode;
    } catch {
      // A schema the library cannot express in JSON Schema: property names still mark secrets.
    }
    jsonSchemas.set(schema, found);
  }
  return found ?? undefined;
}

/**
 * Secrets in `value` shown as `••••`: properties named like a secret, or marked secret by one of
 * `schemas` (JSON Schemas, see `secretMarksOf`). With `written`, `value` is a configuration as written:
 * its `${env:NAME}` placeholders stay, only literal text is masked. Returns `value` itself when it
 * holds no secret.
 */
export function redactSecrets<T>(value: T, schemas: readonly (JsonSchemaNode | undefined)[] = [], written = false): T {
  const located = schemas.filter((s): s is JsonSchemaNode => s !== undefined).flatMap((root) => expand(root, root, 0));
  return walk(value, located, written) as T;
}

function walk(value: unknown, nodes: readonly Located[], written: boolean): unknown {
  if (Array.isArray(value)) {
    let changed = false;
    const items = value.map((item, i) => {
      const shown = walk(item, nodes.flatMap((l) => itemAt(l, i)), written);
      changed ||= shown !== item;
      return shown;
    });
    return changed ? items : value;
  }
  if (typeof value !== 'object' || value === null) return value;
  let changed = false;
  const entries = Object.entries(value).map(([key, item]): [string, unknown] => {
    const children = nodes.flatMap((l) => propertyOf(l, key));
    const shown = isSecretName(key) || children.some((l) => l.node.writeOnly === true || l.node.secret === true) ? mask(item, written) : walk(item, children, written);
    changed ||= shown !== item;
    return [key, shown];
  });
  return changed ? Object.fromEntries(entries) : value;
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
function expand(node: JsonSchemaNode, root: JsonSchemaNode, depth: number): Located[] {
  if (depth > 16 || typeof node !== 'object' || node === null) return [];
  const found: Located[] = [{ node, root }];
  if (typeof node.$ref === 'string') {
    const target = resolveRef(node.$ref, root);
    if (target !== undefined) found.push(...expand(target, root, depth + 1));
  }
  for (const branch of [...(node.allOf ?? []), ...(node.anyOf ?? []), ...(node.oneOf ?? [])]) found.push(...expand(branch, root, depth + 1));
  return found;
}

/** A local reference such as `#/$defs/Node`. */
function resolveRef(ref: string, root: JsonSchemaNode): JsonSchemaNode | undefined {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(1).split('/').filter(Boolean)) {
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  }
  return typeof node === 'object' && node !== null ? (node as JsonSchemaNode) : undefined;
}

function propertyOf({ node, root }: Located, key: string): Located[] {
  const child = node.properties && Object.hasOwn(node.properties, key) ? node.properties[key] : node.additionalProperties;
  return typeof child === 'object' && child !== null ? expand(child, root, 0) : [];
}

function itemAt({ node, root }: Located, index: number): Located[] {
  const child = node.prefixItems?.[index] ?? node.items;
  return typeof child === 'object' && child !== null ? expand(child, root, 0) : [];
}
