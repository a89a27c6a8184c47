import { html, useEffect, useRef, useState } from '../vendor/preact.js';
import { api } from '../api.js';
import { ErrorBox, useData } from '../ui.js';

let vizLoading;
/** Graphviz as WebAssembly (about 1 MB): loaded the first time the graph is opened, not before. */
function viz() {
  vizLoading ??= import('../vendor/viz.js').then((module) => module.instance());
  return vizLoading;
}

/** Components and their references, laid out by Graphviz; bound edges solid, candidates and missing services dashed. */
export function Graph({ revision }) {
  const [feature, setFeature] = useState('');
  const features = useData(() => api.get('features'), [revision]);
  const graph = useData(() => api.get(`graph?format=dot${feature === '' ? '' : `&feature=${encodeURIComponent(feature)}`}`), [feature, revision]);
  const holder = useRef(null);
  const [error, setError] = useState(undefined);
  useEffect(() => {
    if (!graph.data) return;
    let current = true;
    viz().then(
      (instance) => {
        if (!current || !holder.current) return;
        const svg = instance.renderSVGElement(graph.data.text);
        svg.setAttribute('role', 'img');
        svg.setAttribute('aria-label', 'component graph');
        holder.current.replaceChildren(svg);
        setError(undefined);
      },
      (problem) => current && setError({ message: `Graphviz did not load: ${problem.message}` }),
    );
    return () => {
      current = false;
    };
  }, [graph.data]);
  return html`<h1>Graph</h1>
    <div class="filters">
      <select aria-label="Feature" value=${feature} onChange=${(e) => setFeature(e.currentTarget.value)}>
        <option value="">every component</option>
        ${(features.data ?? []).filter((f) => f.installed).map((f) => html`<option value=${f.name}>${f.name}</option>`)}
      </select>
    </div>
    <${ErrorBox} error=${graph.error ?? error} />
    <div class="graph" ref=${holder}><p class="muted">Laying out…</p></div>`;
}
