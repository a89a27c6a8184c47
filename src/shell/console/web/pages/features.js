import { html, useState } from '../vendor/preact.js';
import { api, installFeatures, segment } from '../api.js';
import { componentLink, ErrorBox, Loading, StateBadge, Table, useData } from '../ui.js';

function describeProgress(p) {
  if (p.phase === 'importing') return `importing ${p.module}`;
  if (p.phase === 'configuring') return `configuring ${p.pid}`;
  if (p.phase === 'registering') return `registering the components of ${p.module}`;
  return `activating: waiting for ${p.waitingFor.join(', ') || 'nothing'}`;
}

/** Every feature; install (or dry-run) with live progress, uninstall, and a feature's details. */
export function Features({ revision }) {
  const list = useData(() => api.get('features'), [revision]);
  const [selected, setSelected] = useState(undefined);
  const [run, setRun] = useState(undefined);
  const install = async (name, dryRun) => {
    const lines = [];
    setRun({ title: `${dryRun ? 'Dry run of the install of' : 'Installing'} ${name}`, lines, done: false });
    try {
      const report = await installFeatures([name], dryRun, (line) => {
        if (line.progress) lines.push(describeProgress(line.progress));
        setRun({ title: `${dryRun ? 'Dry run of the install of' : 'Installing'} ${name}`, lines: [...lines], done: false });
      });
      const added = report.features.filter((f) => !f.alreadyInstalled).map((f) => `${f.name}@${f.version}`);
      const already = report.features.filter((f) => f.alreadyInstalled).map((f) => f.name);
      const title = `${dryRun ? 'Would install' : 'Installed'} ${added.join(', ') || 'nothing new'}${already.length > 0 ? ` (already installed: ${already.join(', ')})` : ''}`;
      setRun({ title, lines, done: true, report });
    } catch (error) {
      setRun({ title: `Installing ${name} failed`, lines, done: true, error });
    }
    list.reload();
  };
  const uninstall = async (name, force = false) => {
    if (!confirm(`Uninstall ${name}${force ? ', and the installed features that need it' : ''}?`)) return;
    try {
      const report = await api.post('features/uninstall', { names: [name], force });
      setRun({ title: `Uninstalled ${report.uninstalled.join(', ')}`, lines: report.components.map((c) => `removed ${c}`), done: true });
    } catch (error) {
      setRun({ title: `Uninstalling ${name} failed`, lines: [], done: true, error, ...(error.code === 'FEATURE_REQUIRED' && { force: name }) });
    }
    list.reload();
  };
  return html`<h1>Features</h1>
    ${run &&
    html`<section class="progress" aria-live="polite">
      <h2>${run.title}${run.done ? '' : '…'}</h2>
      <ol>${run.lines.map((line) => html`<li>${line}</li>`)}</ol>
      ${run.report && html`<${Table} columns=${['Component', 'State']} rows=${run.report.components.map((c) => [componentLink(c.name), html`<${StateBadge} state=${c.state} />`])} empty="No components." />`}
      <${ErrorBox} error=${run.error} />
      ${run.force && html`<button class="danger" onClick=${() => uninstall(run.force, true)}>Uninstall ${run.force} and the features that need it</button>`}
    </section>`}
    <${Loading} ...${list}>
      <${Table}
        columns=${['Feature', 'Version', 'Installed', 'Boot', 'Description', '']}
        rows=${(list.data ?? []).map((f) => [
          html`<button class="link" onClick=${() => setSelected(f.name)}>${f.name}</button>`,
          f.version,
          f.installed ? `yes (${f.installedAs}${f.requiredBy.length > 0 ? `; needed by ${f.requiredBy.join(', ')}` : ''})` : 'no',
          f.boot ? 'yes' : '',
          f.description,
          f.installed
            ? html`<button onClick=${() => uninstall(f.name)}>Uninstall</button>`
            : html`<span class="buttons"><button onClick=${() => install(f.name, false)}>Install</button><button onClick=${() => install(f.name, true)}>Dry run</button></span>`,
        ])}
        empty="No features are known: the features file lists none."
      />
    <//>
    ${selected && html`<${FeatureInfo} name=${selected} revision=${revision} />`}`;
}

function FeatureInfo({ name, revision }) {
  const info = useData(() => api.get(`features/${segment(name)}`), [name, revision]);
  const f = info.data;
  const tree = (deps) => html`<ul>${deps.map((d) => html`<li>${d.name}@${d.version} ${d.installed ? '(installed)' : ''}${tree(d.dependencies)}</li>`)}</ul>`;
  return html`<section class="detail">
    <h2>${name}</h2>
    <${Loading} ...${info}>
      ${f &&
      html`<p>${f.description}</p>
        <dl>
          <dt>Source</dt><dd>${f.source}</dd>
          <dt>Modules</dt><dd>${f.modules.join(', ') || 'none'}</dd>
          <dt>Configurations</dt><dd>${f.config.join(', ') || 'none'}</dd>
        </dl>
        <h3>Dependencies</h3>
        ${f.dependencies.length > 0 ? tree(f.dependencies) : html`<p class="muted">None.</p>`}
        <h3>Components</h3>
        <${Table} columns=${['Component', 'State']} rows=${f.components.map((c) => [componentLink(c.name), html`<${StateBadge} state=${c.state} />`])} empty="Not installed." />`}
    <//>
  </section>`;
}
