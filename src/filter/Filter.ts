/** Parsed form of an LDAP-style service filter, e.g. `(&(role=primary)(zone=eu*))`. */
export type FilterNode =
  | { readonly op: 'and' | 'or'; readonly filters: readonly FilterNode[] }
  | { readonly op: 'not'; readonly filter: FilterNode }
  | { readonly op: 'eq' | 'approx' | 'gte' | 'lte'; readonly attr: string; readonly value: string }
  | { readonly op: 'present'; readonly attr: string }
  | {
      readonly op: 'substring';
      readonly attr: string;
      /** The fixed parts between the stars: `a*b*c` is ['a', 'b', 'c'], `*b*` is ['', 'b', '']. */
      readonly parts: readonly string[];
    };

/** A parsed filter together with the text it came from. */
export interface Filter {
  readonly text: string;
  readonly root: FilterNode;
}
