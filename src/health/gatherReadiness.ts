import type { ComponentManager } from '../runtime/ComponentManager.js';
import type { ComponentRuntime } from '../runtime/ComponentRuntime.js';
import type { ExternalServiceUse } from '../runtime/ExternalServiceUse.js';
import { assessReadiness, type PendingCheck, type ReadinessInputs } from './assessReadiness.js';
import { HEALTH_NAME, HealthCheckService, type HealthCheck } from './HealthCheck.js';
import type { Readiness } from './Readiness.js';

/** What readiness is gathered from, besides the runtime. */
export type ReadinessContext = Pick<ReadinessInputs, 'phase' | 'featuresNotInstalled' | 'counted' | 'timeoutMs'>;

/**
 * Gathers what `assessReadiness` judges: every component's standing, and one pending call per
 * `HealthCheckService` registration, each acquiring the service (a delayed provider activates), calling
 * `check()`, and letting it go once the report is done (one acquired after that is let go at once).
 */
export async function gatherReadiness(runtime: ComponentRuntime, services: ExternalServiceUse, context: ReadinessContext): Promise<Readiness> {
  const checks: PendingCheck[] = [];
  const held: unknown[] = [];
  let done = false;
  for (const record of runtime.registry.find(HealthCheckService)) {
    const named = record.properties[HEALTH_NAME];
    const component = record.provider.componentName;
    checks.push({
      name: typeof named === 'string' ? named : (component ?? `service ${record.id}`),
      ...(component !== undefined && { component }),
      run: async () => {
        const check = (await services.acquire(record)) as HealthCheck | undefined;
        if (check === undefined) return { status: 'down', detail: component !== undefined && runtime.has(component) ? whyNoCheck(runtime, runtime.get(component)) : 'its service went away' };
        // Got after the report was done (its provider took longer than the timeout): let it go at once.
        if (done) {
          services.unget(check);
          return { status: 'down', detail: 'too late' };
        }
        held.push(check);
        return check.check();
      },
    });
  }
  // A check component that provides nothing now (failed, unsatisfied) is a check that is down, not none.
  const providing = new Set(checks.map((c) => c.component));
  const missingChecks = [...runtime.managers()]
    .filter((m) => m.isEnabled && m.description.services.includes(HealthCheckService) && !providing.has(m.name) && m.serviceRecord === undefined)
    .map((m) => ({ component: m.name, why: whyNoCheck(runtime, m) }));
  try {
    return await assessReadiness({
      ...context,
      // Not plain data of every component, on every probe, for the few that are not ready.
      components: [...runtime.managers()].map((m) => ({ name: m.name, enabled: m.isEnabled, state: m.state, why: () => runtime.explain(m).join(' ') })),
      checks,
      missingChecks,
    });
  } finally {
    done = true;
    for (const check of held) services.unget(check);
  }
}

/** Why a health check component gives no check: its state, and why it is not active. */
function whyNoCheck(runtime: ComponentRuntime, manager: ComponentManager): string {
  const why = runtime.explain(manager).join(' ');
  return `${manager.name} is ${manager.state}${why === '' ? '' : `: ${why}`}`;
}
