import { jsonPath } from '../json/jsonPath.js';
import type { ConfigurationValues } from './ConfigurationEntry.js';
import type { StandardIssue, StandardSchemaV1 } from './StandardSchema.js';

export type ValidationResult = { ok: true; values: ConfigurationValues } | { ok: false; problems: string[] };

/** Runs a component's schema over configuration values; problems read `$.path: reason`. */
export async function validateConfiguration(schema: StandardSchemaV1 | undefined, values: ConfigurationValues): Promise<ValidationResult> {
  if (!schema) return { ok: true, values };
  let result = schema['~standard'].validate(values);
  if (result instanceof Promise) result = await result;
  if (result.issues) return { ok: false, problems: result.issues.map(describeIssue) };
  const output = result.value;
  if (typeof output !== 'object' || output === null || Array.isArray(output)) {
    return { ok: false, problems: ['$: the schema must produce an object'] };
  }
  return { ok: true, values: output as ConfigurationValues };
}

function describeIssue(issue: StandardIssue): string {
  const segments = (issue.path ?? []).map((p) => (typeof p === 'object' ? p.key : p));
  return `${jsonPath(segments.map((s) => (typeof s === 'symbol' ? String(s) : s)))}: ${issue.message}`;
}
