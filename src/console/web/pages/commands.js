import { html, useState } from '../vendor/preact.js';
import { api } from '../api.js';
import { ErrorBox, Json, Loading, Table, useData } from '../ui.js';

/** The commands components contribute (`lattice <scope> <name>`), each run from here with its arguments. */
export function Commands({ revision }) {
  const commands = useData(() => api.get('commands'), [revision]);
  return html`<h1>Commands</h1>
    <${Loading} ...${commands}>
      ${(commands.data ?? []).length === 0 && html`<p class="muted">No component contributes a command.</p>`}
      ${(commands.data ?? []).map((c) => html`<${CommandForm} command=${c} key=${`${c.scope}:${c.name}`} />`)}
    <//>`;
}

function CommandForm({ command }) {
  const [args, setArgs] = useState('');
  const [result, setResult] = useState(undefined);
  const [error, setError] = useState(undefined);
  const run = async (event) => {
    event.preventDefault();
    setError(undefined);
    setResult(undefined);
    try {
      // Words split at spaces; quotes keep spaces in one argument.
      const words = [...args.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
      setResult(await api.post(`commands/${encodeURIComponent(`${command.scope}:${command.name}`)}`, { args: words }));
    } catch (problem) {
      setError(problem);
    }
  };
  const usage = command.arguments.map((a) => (a.required ? `<${a.name}>` : `[${a.name}]`)).join(' ');
  return html`<form class="command" onSubmit=${run}>
    <h2><code>${command.scope} ${command.name}</code> ${usage && html`<code class="muted">${usage}</code>`}</h2>
    <p>${command.description}</p>
    <div class="inline">
      <input aria-label=${`Arguments of ${command.scope} ${command.name}`} placeholder=${usage || 'no arguments'} value=${args} onInput=${(e) => setArgs(e.currentTarget.value)} />
      <button type="submit">Run</button>
    </div>
    <${ErrorBox} error=${error} />
    ${result?.table && html`<${Table} columns=${result.table.columns} rows=${result.table.rows.map((row) => row.map((cell) => String(cell ?? '')))} />`}
    ${result?.text !== undefined && !result.table && html`<pre>${result.text}</pre>`}
    ${result?.data !== undefined && !result.table && result.text === undefined && html`<${Json} value=${result.data} />`}
  </form>`;
}
