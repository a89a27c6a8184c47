import type { InstallTiming } from '../features/FeatureReports.js';

/** What Lattice uses of `@opentelemetry/api`: declared here, so that its types need not be installed. */
export interface OtelSpan {
  end(endTime?: Date): void;
}
export interface OtelTracer {
  startSpan(name: string, options: { startTime: Date; attributes: Record<string, string | string[] | number> }, context?: unknown): OtelSpan;
}
export interface OtelApi {
  readonly ROOT_CONTEXT: unknown;
  readonly trace: {
    getTracer(name: string): OtelTracer;
    setSpan(context: unknown, span: OtelSpan): unknown;
  };
}

/**
 * Each install as a trace, made when it has finished from what `timings()` records: a span
 * `lattice feature install` (its features, why), and under it one `lattice module import` per module and
 * one `lattice component activate` per component that came up (its name, the components it bound).
 */
export function installSpans(api: OtelApi, tracer: OtelTracer, timing: InstallTiming): void {
  const started = Date.parse(timing.startedAt);
  const install = tracer.startSpan('lattice feature install', { startTime: new Date(started), attributes: { 'lattice.features': [...timing.features], 'lattice.install.reason': timing.reason } });
  const parent = api.trace.setSpan(api.ROOT_CONTEXT, install);
  for (const module of timing.modules) {
    const at = Date.parse(module.startedAt);
    tracer.startSpan('lattice module import', { startTime: new Date(at), attributes: { 'lattice.module': module.file } }, parent).end(new Date(at + module.ms));
  }
  for (const component of timing.components) {
    if (component.activatedAt === undefined || component.activationMs === undefined) continue;
    const ended = Date.parse(component.activatedAt);
    tracer
      .startSpan('lattice component activate', { startTime: new Date(ended - component.activationMs), attributes: { 'lattice.component': component.name, 'lattice.component.after': [...component.after] } }, parent)
      .end(new Date(ended));
  }
  install.end(new Date(started + timing.ms));
}

/**
 * Makes each install of `features` a trace, through `tracer`, else the tracer named `lattice` of the
 * registered tracer provider. `@opentelemetry/api` is not a dependency of Lattice: it is loaded here, from
 * the app's packages. Resolves false, doing nothing, when it is not installed.
 */
export async function traceInstalls(features: { onInstallTimed(listener: (timing: InstallTiming) => void): () => void }, tracer?: OtelTracer): Promise<boolean> {
  let api: OtelApi;
  try {
    // A variable, so that TypeScript does not ask for its types (they are the app's, if anywhere).
    const name = '@opentelemetry/api';
    api = (await import(name)) as OtelApi;
  } catch {
    return false;
  }
  const used = tracer ?? api.trace.getTracer('lattice');
  features.onInstallTimed((timing) => {
    installSpans(api, used, timing);
  });
  return true;
}
