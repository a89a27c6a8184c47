import { withTimeout } from '../async/withTimeout.js';
import type { HealthResult } from './HealthCheck.js';
import type { CheckOutcome, Readiness, UnreadyComponent } from './Readiness.js';

/** A health check to run: its name, its provider, and the call. */
export interface PendingCheck {
  readonly name: string;
  readonly component?: string;
  readonly run: () => HealthResult | Promise<HealthResult>;
}

/** A component as readiness looks at it. */
export interface ComponentStanding {
  readonly name: string;
  readonly enabled: boolean;
  readonly state: string;
  why(): string;
}

export interface ReadinessInputs {
  readonly phase: Readiness['phase'];
  /** Every component: its name, whether it is enabled, its state, and why it is not active (asked only of those not ready). */
  readonly components: readonly ComponentStanding[];
  readonly checks: readonly PendingCheck[];
  /** Checks whose component provides none now (disabled aside): each is down, with why. */
  readonly missingChecks: readonly { readonly component: string; readonly why: string }[];
  readonly featuresNotInstalled: readonly { readonly name: string; readonly error: string }[];
  /** The components that count (default: every enabled one). */
  readonly counted?: readonly string[];
  /** How long a check may take before it counts as down. */
  readonly timeoutMs: number;
}

/** Ready states: a delayed component waiting for its first user is as ready as an active one. */
const READY_STATES: ReadonlySet<string> = new Set(['active', 'satisfied']);

/**
 * Whether the container is ready: started, each counted component active (or satisfied: delayed, waiting
 * for its first user), each health check up within the timeout. The checks run at once, side by side.
 */
export async function assessReadiness(inputs: ReadinessInputs): Promise<Readiness> {
  const byName = new Map(inputs.components.map((c) => [c.name, c]));
  const counted = inputs.counted ?? inputs.components.filter((c) => c.enabled).map((c) => c.name);
  const notReady: UnreadyComponent[] = [];
  for (const name of counted) {
    const c = byName.get(name);
    if (!c) notReady.push({ name, state: 'not registered', why: `${name} is not registered (is its feature installed?).` });
    else if (!READY_STATES.has(c.state)) notReady.push({ name, state: c.state, why: c.why() });
  }
  const missing = inputs.missingChecks.map((m): CheckOutcome => ({ name: m.component, component: m.component, status: 'down', detail: `it provides no check now: ${m.why}`, ms: 0 }));
  const checks = [...(await Promise.all(inputs.checks.map((check) => runCheck(check, inputs.timeoutMs)))), ...missing];
  return {
    ready: inputs.phase === 'running' && inputs.featuresNotInstalled.length === 0 && notReady.length === 0 && checks.every((c) => c.status === 'up'),
    phase: inputs.phase,
    featuresNotInstalled: inputs.featuresNotInstalled,
    components: { counted: counted.length, notReady },
    checks,
  };
}

async function runCheck(check: PendingCheck, timeoutMs: number): Promise<CheckOutcome> {
  const started = performance.now();
  const outcome = (status: 'up' | 'down', detail: string | undefined): CheckOutcome => ({
    name: check.name,
    ...(check.component !== undefined && { component: check.component }),
    status,
    ...(detail !== undefined && { detail }),
    ms: Math.round((performance.now() - started) * 100) / 100,
  });
  try {
    // A check in plain JavaScript may answer anything.
    const answer = Promise.resolve().then(check.run) as Promise<Partial<HealthResult> | null | undefined>;
    const result = await withTimeout(answer, timeoutMs, () => new Error(`no answer within ${timeoutMs} ms`));
    const status = result?.status;
    if (status !== 'up' && status !== 'down') return outcome('down', `check() answered ${result === undefined ? 'undefined' : JSON.stringify(result)}, not { status: "up" | "down" }`);
    return outcome(status, typeof result?.detail === 'string' ? result.detail : undefined);
  } catch (error) {
    return outcome('down', `check() failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
