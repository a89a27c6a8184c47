import type { Filter, FilterNode } from './Filter.js';

/** Service properties as filters see them. */
export type Properties = Readonly<Record<string, unknown>>;

/** True when `properties` match `filter` (OSGi semantics: attribute names ignore case, arrays match on any element). */
export function matchFilter(filter: Filter, properties: Properties): boolean {
  return matchNode(filter.root, properties);
}

function matchNode(node: FilterNode, properties: Properties): boolean {
  switch (node.op) {
    case 'and':
      return node.filters.every((f) => matchNode(f, properties));
    case 'or':
      return node.filters.some((f) => matchNode(f, properties));
    case 'not':
      return !matchNode(node.filter, properties);
    case 'present':
      return lookup(properties, node.attr) !== undefined;
    default: {
      const value = lookup(properties, node.attr);
      if (value === undefined || value === null) return false;
      const values: readonly unknown[] = Array.isArray(value) ? value : [value];
      return values.some((v) => matchValue(node, v));
    }
  }
}

function lookup(properties: Properties, attr: string): unknown {
  if (Object.hasOwn(properties, attr)) return properties[attr];
  const lower = attr.toLowerCase();
  for (const key of Object.keys(properties)) if (key.toLowerCase() === lower) return properties[key];
  return undefined;
}

type ValueNode = Extract<FilterNode, { attr: string; op: 'eq' | 'approx' | 'gte' | 'lte' | 'substring' }>;

function matchValue(node: ValueNode, actual: unknown): boolean {
  if (node.op === 'substring') return typeof actual === 'string' && matchSubstring(node.parts, actual);
  const wanted = node.value;
  if (typeof actual === 'number' || typeof actual === 'bigint') {
    const n = Number(wanted.trim());
    if (wanted.trim() === '' || Number.isNaN(n)) return false;
    const a = Number(actual);
    if (node.op === 'gte') return a >= n;
    if (node.op === 'lte') return a <= n;
    return a === n;
  }
  if (typeof actual === 'boolean') {
    return (node.op === 'eq' || node.op === 'approx') && wanted.trim().toLowerCase() === String(actual);
  }
  const a = typeof actual === 'string' ? actual : JSON.stringify(actual);
  switch (node.op) {
    case 'eq':
      return a === wanted;
    case 'approx':
      return normalise(a) === normalise(wanted);
    case 'gte':
      return a >= wanted;
    case 'lte':
      return a <= wanted;
  }
}

function normalise(s: string): string {
  return s.replace(/\s+/g, '').toLowerCase();
}

function matchSubstring(parts: readonly string[], actual: string): boolean {
  const first = parts[0] ?? '';
  const last = parts[parts.length - 1] ?? '';
  if (!actual.startsWith(first)) return false;
  let pos = first.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] ?? '';
    const found = actual.indexOf(part, pos);
    if (found < 0) return false;
    pos = found + part.length;
  }
  return actual.length - last.length >= pos && actual.endsWith(last);
}
