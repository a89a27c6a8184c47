// Small pieces every page uses. preact escapes every text it renders: nothing here builds HTML from strings.
import { html, useEffect, useState, useCallback } from './vendor/preact.js';

/**
 * Data loaded by `load()`, again whenever one of `deps` changes (the app's revision counter goes up on
 * each live event): `{ data, error, reload }`. The previous data stays shown while the next loads.
 */
export function useData(load, deps) {
  const [state, setState] = useState({ data: undefined, error: undefined });
  const [count, setCount] = useState(0);
  useEffect(() => {
    let current = true;
    load().then(
      (data) => current && setState({ data, error: undefined }),
      (error) => current && setState((previous) => ({ data: previous.data, error })),
    );
    return () => {
      current = false;
    };
  }, [...deps, count]);
  const reload = useCallback(() => setCount((n) => n + 1), []);
  return { ...state, reload };
}

/** Every state a component can be in, in lifecycle order, and how its badge looks. */
/**
 * A counter that goes up every `ms`: for data whose asking changes what it shows (health checks and
 * commands activate delayed components, which sends events), so that it is not loaded again on events.
 */
export function useTicker(ms) {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return tick;
}

const STATE_CLASS = {
  disabled: 'off',
  'unsatisfied-configuration': 'warn',
  'unsatisfied-reference': 'warn',
  satisfied: 'ok',
  activating: 'busy',
  active: 'ok',
  deactivating: 'busy',
  'failed-activation': 'bad',
};

export const STATES = Object.keys(STATE_CLASS);

export function StateBadge({ state }) {
  return html`<span class=${`badge ${STATE_CLASS[state] ?? 'off'}`} data-state=${state}>${state}</span>`;
}

/** An error from the container: its message, its code, and the details it gave (a schema's problems, say). */
export function ErrorBox({ error }) {
  if (!error) return null;
  // The problems the message does not already say.
  const problems = (error.details?.problems ?? error.details?.issues ?? [])
    .map((p) => (typeof p === 'string' ? p : (p.message ?? JSON.stringify(p))))
    .filter((text) => !error.message.includes(text));
  return html`<div class="error" role="alert">
    <strong>${error.message}</strong>
    ${error.code ? html` <code>${error.code}</code>` : null}
    ${problems.length > 0 ? html`<ul>${problems.map((text) => html`<li>${text}</li>`)}</ul>` : null}
  </div>`;
}

export function Json({ value }) {
  return html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>`;
}

export function Table({ columns, rows, empty = 'None.' }) {
  if (rows.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<table>
    <thead><tr>${columns.map((c) => html`<th>${c}</th>`)}</tr></thead>
    <tbody>${rows.map((row) => html`<tr>${row.map((cell) => html`<td>${cell}</td>`)}</tr>`)}</tbody>
  </table>`;
}

export function Loading({ data, error, children }) {
  if (data === undefined) return error ? html`<${ErrorBox} error=${error} />` : html`<p class="muted">Loading…</p>`;
  return html`${error ? html`<${ErrorBox} error=${error} />` : null}${children}`;
}

export const link = (hash, text) => html`<a href=${hash}>${text}</a>`;
export const componentLink = (name) => link(`#/components/${encodeURIComponent(name)}`, name);
