import { html, useEffect, useRef, useState } from '../vendor/preact.js';
import { api } from '../api.js';
import { ErrorBox } from '../ui.js';

const LEVELS = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** The last log lines the container kept (500), then each new one as it is logged. */
export function Logs({ logRevision }) {
  const [lines, setLines] = useState([]);
  const [error, setError] = useState(undefined);
  const [minimum, setMinimum] = useState(30);
  const [text, setText] = useState('');
  const lastSeq = useRef(0);
  useEffect(() => {
    api.get(`logs?after=${lastSeq.current}`).then(
      (added) => {
        if (added.length === 0) return;
        lastSeq.current = added[added.length - 1].seq;
        setLines((previous) => [...previous, ...added].slice(-1000));
      },
      setError,
    );
  }, [logRevision]);
  const shown = lines.filter((l) => l.level >= minimum && (text === '' || `${l.component ?? ''} ${l.msg}`.toLowerCase().includes(text.toLowerCase())));
  return html`<h1>Logs</h1>
    <div class="filters">
      <select aria-label="Level" value=${String(minimum)} onChange=${(e) => setMinimum(Number(e.currentTarget.value))}>
        ${Object.entries(LEVELS).map(([n, name]) => html`<option value=${n}>${name} and above</option>`)}
      </select>
      <input type="search" placeholder="Filter" aria-label="Filter log lines" value=${text} onInput=${(e) => setText(e.currentTarget.value)} />
    </div>
    <${ErrorBox} error=${error} />
    ${shown.length === 0 && html`<p class="muted">${lines.length === 0 ? 'No lines yet.' : 'No lines match.'}</p>`}
    <table class="logs">
      <tbody>
        ${shown.map(
          (l) => html`<tr class=${`level-${LEVELS[l.level] ?? 'info'}`} key=${l.seq}>
            <td class="time">${new Date(l.time).toLocaleTimeString()}</td>
            <td>${LEVELS[l.level] ?? l.level}</td>
            <td>${l.component ?? ''}</td>
            <td>${l.msg}</td>
          </tr>`,
        )}
      </tbody>
    </table>`;
}
