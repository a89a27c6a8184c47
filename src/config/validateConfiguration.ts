import { jsonPath } from '../json/jsonPath.js';
import type { ConfigurationValues } from './ConfigurationEntry.js';
import type { StandardIssue, StandardResult, StandardSchemaV1 } from './StandardSchema.js';

export type ValidationResult = { ok: true; values: ConfigurationValues } | { ok: false; problems: string[] };

/**
 * Runs a component's schema over configuration values; problems read `$.path: reason`. The result is
 * there at once unless the schema validates asynchronously (most do not).
 */
export function validateConfiguration(schema: StandardSchemaV1 | undefined, values: ConfigurationValues): ValidationResult | Promise<ValidationResult> {
  if (!schema) return { ok: true, values };
  const result = schema['~standard'].validate(values);
  return result instanceof Promise ? result.then(toValidation) : toValidation(result);
}

function toValidation(result: StandardResult<unknown>): ValidationResult {
  if (result.issues) {
    // A refusal that names nothing is still a refusal.
    return { ok: false, problems: result.issues.length > 0 ? result.issues.map(describeIssue) : ['$: the schema refused the values without saying why'] };
  }
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
