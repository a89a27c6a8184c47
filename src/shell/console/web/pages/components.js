import { html, useState } from '../vendor/preact.js';
import { api, segment } from '../api.js';
import { componentLink, ErrorBox, Json, Loading, StateBadge, STATES, Table, useData } from '../ui.js';

/** Every component: filter by name or state; each links to its detail. */
export function Components({ revision }) {
  const list = useData(() => api.get('components'), [revision]);
  const [text, setText] = useState('');
  const [state, setState] = useState('');
  const shown = (list.data ?? []).filter((c) => c.name.toLowerCase().includes(text.toLowerCase()) && (state === '' || c.state === state));
  return html`<h1>Components</h1>
    <div class="filters">
      <input type="search" placeholder="Filter by name" aria-label="Filter by name" value=${text} onInput=${(e) => setText(e.currentTarget.value)} />
      <select aria-label="State" value=${state} onChange=${(e) => setState(e.currentTarget.value)}>
        <option value="">every state</option>
        ${STATES.map((s) => html`<option value=${s}>${s}</option>`)}
      </select>
    </div>
    <${Loading} ...${list}>
      <${Table}
        columns=${['Name', 'State', 'Services', 'Why not active']}
        rows=${shown.map((c) => [html`<span class=${c.instanceOf ? 'instance' : ''}>${componentLink(c.name)}</span>`, html`<${StateBadge} state=${c.state} />`, c.services.join(', '), c.failure?.message ?? c.why[0] ?? ''])}
        empty="No component matches."
      />
    <//>`;
}

/** One component: state, why, references and what they are bound to, properties, configuration; enable, disable, restart. */
export function ComponentDetail({ arg: name, revision }) {
  const info = useData(() => api.get(`components/${segment(name)}`), [name, revision]);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState(undefined);
  const act = async (verb) => {
    setBusy(true);
    setActionError(undefined);
    try {
      await api.post(`components/${segment(name)}/${verb}`);
    } catch (error) {
      setActionError(error);
    } finally {
      setBusy(false);
      info.reload();
    }
  };
  // Another component's data stays shown while the next loads, but not once this one is known not to exist.
  const c = info.error?.status === 404 ? undefined : info.data;
  return html`<p><a href="#/components">← Components</a></p>
    <h1>${name}</h1>
    <${Loading} data=${c} error=${info.error}>
      ${c &&
      html`<p class="state-line"><${StateBadge} state=${c.state} />${!c.enabled && c.state !== 'disabled' ? html` <span class="muted">(disabled)</span>` : ''}</p>
        <div class="actions">
          <button disabled=${busy || c.enabled} onClick=${() => act('enable')}>Enable</button>
          <button disabled=${busy || !c.enabled} onClick=${() => act('disable')}>Disable</button>
          <button disabled=${busy || !c.enabled} onClick=${() => act('restart')}>Restart</button>
        </div>
        <${ErrorBox} error=${actionError} />
        ${c.why.length > 0 && html`<h2>Why it is not active</h2><ul class="why">${c.why.map((line) => html`<li>${line}</li>`)}</ul>`}
        ${c.failure && html`<h2>Failure</h2><p class="error-text">${c.failure.message} <code>${c.failure.code}</code> at ${c.failure.at}</p>${c.failure.stack && html`<pre>${c.failure.stack}</pre>`}`}
        <h2>About</h2>
        <dl>
          <dt>Class</dt><dd>${c.implementation}</dd>
          ${c.module && html`<dt>Module</dt><dd>${c.module}</dd>`}
          <dt>Services</dt><dd>${c.services.join(', ') || 'none'}${c.serviceId !== undefined ? ` (service id ${c.serviceId}, used by ${c.useCount})` : ''}</dd>
          <dt>Configuration</dt><dd><a href=${`#/config/${segment(c.configurationPid)}`}>${c.configurationPid}</a> (policy ${c.configurationPolicy})</dd>
          ${c.activationMs !== undefined && html`<dt>Activated</dt><dd>${c.activatedAt} in ${c.activationMs} ms</dd>`}
          ${c.factory && html`<dt>Factory</dt><dd>${c.factory.kind} ${c.factory.id}: ${c.factory.instances.length} instance(s)</dd>`}
          ${c.instanceOf && html`<dt>Instance of</dt><dd>${componentLink(c.instanceOf)}</dd>`}
        </dl>
        <h2>References</h2>
        <${Table}
          columns=${['Name', 'Service', 'Cardinality', 'Policy', 'Target', 'Bound to', 'Satisfied']}
          rows=${c.references.map((r) => [
            r.name,
            r.service,
            r.cardinality,
            `${r.policy} ${r.policyOption}`,
            r.target ?? '',
            r.bound.length === 0 ? html`<span class="muted">nothing</span>` : r.bound.map((b) => html`<div>${b.component ? componentLink(b.component) : `service ${b.serviceId}`}</div>`),
            r.satisfied ? 'yes' : html`<span class="error-text">no</span>`,
          ])}
          empty="No references."
        />
        <h2>Properties</h2>
        <${Json} value=${c.properties} />
        ${c.configuration && html`<h2>Configuration in force</h2><${Json} value=${c.configuration} />`}
        ${c.configurationProblem && html`<p class="error-text">${c.configurationProblem}</p>`}`}
    <//>`;
}
