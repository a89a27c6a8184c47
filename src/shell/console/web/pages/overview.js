import { html } from '../vendor/preact.js';
import { api } from '../api.js';
import { componentLink, Loading, StateBadge, Table, useData, useTicker } from '../ui.js';

/** State counts, what is not active and why, the features installed, readiness. */
export function Overview({ revision }) {
  const status = useData(() => api.get('status'), [revision]);
  // Every 5 s, not on events: asking runs the health checks (a delayed one activates, which is an event).
  const health = useData(() => api.get('health'), [useTicker(5000)]);
  const s = status.data;
  return html`<h1>Overview</h1>
    <${Loading} ...${status}>
      ${s &&
      html`<section class="cards">
          <div class="card"><div class="figure">${s.components.total}</div>components</div>
          ${Object.entries(s.components.byState).map(([state, n]) => html`<div class="card"><div class="figure">${n}</div><${StateBadge} state=${state} /></div>`)}
          <div class="card"><div class="figure">${s.features.length}</div>features installed</div>
          <div class="card">
            <div class="figure">${health.data ? (health.data.ready ? 'ready' : 'not ready') : '…'}</div>
            <a href="#/health">health</a>
          </div>
        </section>
        <h2>Not active</h2>
        <${Table}
          columns=${['Component', 'State', 'Why']}
          rows=${s.notActive.map((c) => [componentLink(c.name), html`<${StateBadge} state=${c.state} />`, c.failure ?? c.why])}
          empty="Every component is active or satisfied."
        />
        ${s.failedAtStart.length > 0 &&
        html`<h2>Features that failed at start</h2>
          <${Table} columns=${['Feature', 'Why']} rows=${s.failedAtStart.map((f) => [f.name, f.error])} />`}
        <h2>Features installed</h2>
        <${Table} columns=${['Feature', 'Version', 'Installed as']} rows=${s.features.map((f) => [f.name, f.version, f.installedAs ?? ''])} empty="No feature is installed." />`}
    <//>`;
}
