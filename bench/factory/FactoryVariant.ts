/** The variants of the factory benchmark (see variant.ts). */
export type FactoryVariant = 'inversify' | 'component-factory' | 'factory-configurations';
export const FACTORY_VARIANTS: readonly FactoryVariant[] = ['inversify', 'component-factory', 'factory-configurations'];

/** What one run of a variant measured. */
export interface FactoryResult {
  readonly createMs: number;
  readonly disposeMs: number;
  readonly heapPerInstance: number;
}
