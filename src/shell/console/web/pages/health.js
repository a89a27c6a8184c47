import { html } from '../vendor/preact.js';
import { api } from '../api.js';
import { componentLink, Loading, StateBadge, Table, useData, useTicker } from '../ui.js';

/** Readiness, what keeps the container from it, and each health check. */
export function Health() {
  // Every 5 s, not on events: asking runs the checks (a delayed one activates, which is an event).
  const health = useData(() => api.get('health'), [useTicker(5000)]);
  const h = health.data;
  return html`<h1>Health</h1>
    <${Loading} ...${health}>
      ${h &&
      html`<p class="muted">Checked every 5 seconds; <button class="link" onClick=${health.reload}>check now</button>.</p>
        <p class=${h.ready ? 'ok-text big' : 'error-text big'}>${h.ready ? 'Ready' : 'Not ready'}${h.phase === 'running' ? '' : ` (${h.phase})`}</p>
        <p>${h.components.counted} components counted, ${h.components.counted - h.components.notReady.length} active or satisfied.</p>
        ${h.featuresNotInstalled.length > 0 && html`<p class="error-text">Features not installed: ${h.featuresNotInstalled.map((f) => `${f.name} (${f.error})`).join('; ')}</p>`}
        <h2>Not ready</h2>
        <${Table} columns=${['Component', 'State', 'Why']} rows=${h.components.notReady.map((c) => [componentLink(c.name), html`<${StateBadge} state=${c.state} />`, c.why])} empty="Nothing." />
        <h2>Checks</h2>
        <${Table}
          columns=${['Check', 'Status', 'Time', 'Detail']}
          rows=${h.checks.map((c) => [c.name, html`<span class=${c.status === 'up' ? 'badge ok' : 'badge bad'}>${c.status}</span>`, `${c.ms} ms`, c.detail ?? ''])}
          empty="No health checks: components add them by providing HealthCheckService."
        />`}
    <//>`;
}
