/**
 * The Standard Schema interface (standardschema.dev), which zod 4, valibot and arktype implement:
 * a component's `configSchema` may be any of them. Declared here rather than imported, as the spec
 * intends, so that Lattice depends on no schema library.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: readonly StandardIssue[] };

export interface StandardIssue {
  readonly message: string;
  readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined;
}

/** The output type of a schema. */
export type SchemaOutput<S> = S extends StandardSchemaV1<unknown, infer O> ? O : Record<string, unknown>;

export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  return (
    typeof value === 'object' &&
    value !== null &&
    '~standard' in value &&
    typeof (value as { '~standard': { validate?: unknown } })['~standard'].validate === 'function'
  );
}
