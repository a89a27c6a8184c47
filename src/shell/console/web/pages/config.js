import { html, useEffect, useState } from '../vendor/preact.js';
import { api, segment } from '../api.js';
import { componentLink, ErrorBox, Json, Loading, Table, useData } from '../ui.js';

/** Every configuration; one opened to view and edit (secrets stay masked: a masked value is kept as it is). */
export function Configuration({ arg: pid, revision }) {
  const list = useData(() => api.get('config'), [revision]);
  const [newPid, setNewPid] = useState('');
  const [pidError, setPidError] = useState(undefined);
  return html`<h1>Configuration</h1>
    <${Loading} ...${list}>
      <${Table}
        columns=${['PID', 'Source', 'Problem']}
        rows=${(list.data ?? []).map((c) => [
          html`<a href=${`#/config/${segment(c.pid)}`}>${c.pid}</a>`,
          c.file ?? c.source ?? '',
          [c.problem, ...(c.rejectedBy ?? []).map((r) => `refused by ${r.component}: ${r.problem}`)].filter(Boolean).join('; '),
        ])}
        empty="No configurations."
      />
    <//>
    <form class="inline" onSubmit=${(e) => {
      e.preventDefault();
      if (newPid.trim() === '') setPidError({ message: 'Give the new configuration a PID (its file is config/PID.json).' });
      else {
        setPidError(undefined);
        location.hash = `#/config/${segment(newPid.trim())}`;
      }
    }}>
      <input placeholder="PID" aria-label="New configuration PID" value=${newPid} onInput=${(e) => setNewPid(e.currentTarget.value)} />
      <button type="submit">New configuration</button>
    </form>
    <${ErrorBox} error=${pidError} />
    ${pid !== undefined && html`<${ConfigEditor} pid=${pid} revision=${revision} onChange=${list.reload} />`}`;
}

function ConfigEditor({ pid, revision, onChange }) {
  const entry = useData(() => api.get(`config/${segment(pid)}`).catch((error) => (error.status === 404 ? null : Promise.reject(error))), [pid, revision]);
  const [text, setText] = useState(undefined);
  // The configuration as the edit began from it (null: none): the save is refused if it changed meanwhile.
  const [base, setBase] = useState(undefined);
  const [saved, setSaved] = useState(undefined);
  const [error, setError] = useState(undefined);
  // A new PID, or the one shown changed by someone else while not being edited: show what is written now.
  useEffect(() => {
    setText(undefined);
    setBase(undefined);
    setError(undefined);
    setSaved(undefined);
  }, [pid]);
  const e = entry.data;
  const shownOf = (entry) => (entry ? JSON.stringify([entry.raw ?? entry.values ?? null, entry.problem ?? null]) : 'none');
  const written = JSON.stringify(e?.raw ?? e?.values ?? {}, null, 2);
  const value = text ?? written;
  const changedMeanwhile = text !== undefined && base !== undefined && shownOf(base) !== shownOf(e);
  const discard = () => {
    setText(undefined);
    setBase(undefined);
    setError(undefined);
  };
  const save = async (event) => {
    event.preventDefault();
    setError(undefined);
    setSaved(undefined);
    let values;
    try {
      values = JSON.parse(value);
    } catch (problem) {
      setError({ message: `Not JSON: ${problem.message}` });
      return;
    }
    try {
      await api.put(`config/${segment(pid)}`, { values, keepMasked: true, expected: base === undefined ? e : base });
      setText(undefined);
      setBase(undefined);
      setSaved(`Saved ${pid}.`);
      onChange();
    } catch (problem) {
      setError(problem);
    }
  };
  const remove = async () => {
    if (!confirm(`Delete configuration ${pid} and its file?`)) return;
    try {
      await api.delete(`config/${segment(pid)}`);
      location.hash = '#/config';
      onChange();
    } catch (problem) {
      setError(problem);
    }
  };
  return html`<section class="detail">
    <h2>${pid}</h2>
    <${Loading} ...${entry}>
      ${e === null && html`<p class="muted">No configuration ${pid} yet: write one below.</p>`}
      ${e?.problem && html`<p class="error-text">${e.problem}</p>`}
      ${(e?.rejectedBy ?? []).map((r) => html`<p class="error-text">Refused by ${componentLink(r.component)}: ${r.problem}</p>${r.inForce && html`<p>It runs on:</p><${Json} value=${r.inForce} />`}`)}
      <form onSubmit=${save}>
        <label for="config-text">Values (JSON; secrets are shown as •••• and kept as they are unless you replace them)</label>
        <textarea
          id="config-text"
          rows="14"
          spellcheck=${false}
          value=${value}
          onInput=${(event) => {
            if (base === undefined) setBase(e);
            setText(event.currentTarget.value);
          }}
        ></textarea>
        ${changedMeanwhile && html`<p class="error-text" role="status">${pid} has changed since you began editing: saving would be refused. Discard your changes to see it as it is now.</p>`}
        <div class="actions">
          <button type="submit">Save</button>
          ${text !== undefined && html`<button type="button" onClick=${discard}>Discard changes</button>`}
          ${e && html`<button type="button" class="danger" onClick=${remove}>Delete</button>`}
        </div>
      </form>
      ${saved && html`<p class="ok-text" role="status">${saved}</p>`}
      <${ErrorBox} error=${error} />
    <//>
  </section>`;
}
