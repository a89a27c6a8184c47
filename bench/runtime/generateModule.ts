import type { Graph } from '../graph.js';

/** The containers compared; each gets the same graph as a module of its own, N distinct classes. */
export const VARIANTS = ['bare', 'inversify', 'nestjs', 'lattice'] as const;
export type Variant = (typeof VARIANTS)[number];

/** Where each variant's library is, as file URLs (the module is written outside the repo). */
export interface LibraryUrls {
  readonly lattice: string;
  readonly inversify: string;
  readonly nestCommon: string;
}

/**
 * The source of an ES module that declares one class per node of `graph`, each taking its dependencies
 * through its constructor, decorated the way `variant` wants (decorators called as functions, as plain
 * JavaScript does). It exports `classes`, and `tokens` (the token of each class), in graph order.
 */
export function generateModule(graph: Graph, variant: Variant, urls: LibraryUrls): string {
  const lines: string[] = [];
  if (variant === 'lattice') lines.push(`import { Component, Reference, serviceToken } from ${JSON.stringify(urls.lattice)};`);
  if (variant === 'inversify') lines.push(`import { decorate, inject, injectable } from ${JSON.stringify(urls.inversify)};`);
  if (variant === 'nestjs') lines.push(`import { Inject, Injectable } from ${JSON.stringify(urls.nestCommon)};`);
  const token = (i: number): string => (variant === 'lattice' ? `T${i}` : JSON.stringify(`bench.${i}`));
  graph.dependencies.forEach((deps, i) => {
    if (variant === 'lattice') lines.push(`const T${i} = serviceToken('bench.${i}');`);
    const params = deps.map((_, k) => `d${k}`).join(', ');
    // Distinct bodies, so that each class is its own code to compile.
    lines.push(`export class C${i} { constructor(${params}) { this.id = ${i}; this.deps = [${params}]; } }`);
    deps.forEach((d, k) => {
      if (variant === 'lattice') lines.push(`Reference({ service: ${token(d)} })(C${i}, undefined, ${k});`);
      if (variant === 'inversify') lines.push(`decorate(inject(${token(d)}), C${i}, ${k});`);
      if (variant === 'nestjs') lines.push(`Inject(${token(d)})(C${i}, undefined, ${k});`);
    });
    if (variant === 'lattice') lines.push(`Component({ name: 'node-${i}', service: ${token(i)}, immediate: true })(C${i});`);
    if (variant === 'inversify') lines.push(`decorate(injectable(), C${i});`);
    if (variant === 'nestjs') lines.push(`Injectable()(C${i});`);
  });
  lines.push(`export const classes = [${graph.dependencies.map((_, i) => `C${i}`).join(', ')}];`);
  lines.push(`export const tokens = [${graph.dependencies.map((_, i) => token(i)).join(', ')}];`);
  lines.push(`export const dependencies = ${JSON.stringify(graph.dependencies)};`);
  return `${lines.join('\n')}\n`;
}
