import { html, useState } from '../vendor/preact.js';
import { api } from '../api.js';
import { ErrorBox, Json, Loading, Table, useData } from '../ui.js';

/**
 * What is typed after the command, as `lattice SCOPE NAME ...` takes it: words split at spaces (quotes
 * keep spaces in one word); `--flag` for an option, followed by its value when its flags name one
 * (`--limit <n>`). An option the command does not declare is refused here, as the command line does.
 */
function parseCommandLine(command, line) {
  const words = [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
  const declared = command.options.map((o) => {
    const long = /--([\w-]+)/.exec(o.flags)?.[1] ?? '';
    return { long, key: long.replace(/-([a-z])/g, (_, c) => c.toUpperCase()), takesValue: /[<[]/.test(o.flags) };
  });
  const positional = [];
  const options = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (!word.startsWith('--')) {
      positional.push(word);
      continue;
    }
    const [name, inline] = word.slice(2).split(/=(.*)/s);
    const option = declared.find((o) => o.long === name);
    if (!option) throw new Error(`${command.scope} ${command.name}: unknown option --${name}${declared.length > 0 ? `; it takes ${declared.map((o) => `--${o.long}`).join(', ')}` : ''}.`);
    if (!option.takesValue) options[option.key] = true;
    else if (inline !== undefined) options[option.key] = inline;
    else if (i + 1 < words.length) options[option.key] = words[++i];
    else throw new Error(`${command.scope} ${command.name}: --${name} needs a value.`);
  }
  return { positional, options };
}

/** The commands components contribute (`lattice <scope> <name>`), each run from here with its arguments. */
export function Commands() {
  // Once: listing the commands activates them (delayed components), which sends events.
  const commands = useData(() => api.get('commands'), []);
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
      const { positional, options } = parseCommandLine(command, args);
      setResult(await api.post(`commands/${encodeURIComponent(`${command.scope}:${command.name}`)}`, { args: positional, options }));
    } catch (problem) {
      setError(problem);
    }
  };
  const usage = [...command.arguments.map((a) => (a.required ? `<${a.name}>` : `[${a.name}]`)), ...command.options.map((o) => `[${o.flags}]`)].join(' ');
  return html`<form class="command" onSubmit=${run}>
    <h2><code>${command.scope} ${command.name}</code> ${usage && html`<code class="muted">${usage}</code>`}</h2>
    <p>${command.description}</p>
    <div class="inline">
      <input aria-label=${`Arguments of ${command.scope} ${command.name}`} placeholder=${usage || 'no arguments'} value=${args} onInput=${(e) => setArgs(e.currentTarget.value)} />
      <button type="submit">Run</button>
    </div>
    <${ErrorBox} error=${error} />
    ${result?.table && html`<${Table} columns=${result.table.columns} rows=${result.table.rows.map((row) => row.map((cell) => String(cell ?? '')))} />`}
    ${result?.text !== undefined && html`<pre>${result.text}</pre>`}
    ${result?.data !== undefined && !result.table && result.text === undefined && html`<${Json} value=${result.data} />`}
  </form>`;
}
