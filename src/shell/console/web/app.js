// The console's frame: navigation, the hash router, the live event stream, and the login state.
import { html, render, useEffect, useState } from './vendor/preact.js';
import { api, followEvents, onLoggedOut } from './api.js';
import { Overview } from './pages/overview.js';
import { Components, ComponentDetail } from './pages/components.js';
import { Features } from './pages/features.js';
import { Configuration } from './pages/config.js';
import { Graph } from './pages/graph.js';
import { Cluster } from './pages/cluster.js';
import { Health } from './pages/health.js';
import { Logs } from './pages/logs.js';
import { Commands } from './pages/commands.js';

const PAGES = [
  ['overview', 'Overview', Overview],
  ['components', 'Components', Components],
  ['features', 'Features', Features],
  ['config', 'Configuration', Configuration],
  ['graph', 'Graph', Graph],
  ['cluster', 'Cluster', Cluster],
  ['health', 'Health', Health],
  ['logs', 'Logs', Logs],
  ['commands', 'Commands', Commands],
];

function currentRoute() {
  const [page = 'overview', ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  return { page, arg: rest.length > 0 ? decodeURIComponent(rest.join('/')) : undefined };
}

/**
 * Live events raise `revision` (component, service and configuration events) or `logRevision` (log
 * lines), each at most every 200 ms; pages load again when theirs changes.
 */
function useLive() {
  const [revisions, setRevisions] = useState({ revision: 0, logRevision: 0 });
  const [status, setStatus] = useState('connecting');
  useEffect(() => {
    let timer;
    let raised = {};
    return followEvents(
      (type) => {
        raised[type === 'log' ? 'logRevision' : 'revision'] = true;
        if (timer === undefined) {
          timer = setTimeout(() => {
            const now = raised;
            timer = undefined;
            raised = {};
            setRevisions((r) => ({ revision: r.revision + (now.revision ? 1 : 0), logRevision: r.logRevision + (now.logRevision ? 1 : 0) }));
          }, 200);
        }
      },
      setStatus,
    );
  }, []);
  return { ...revisions, status };
}

function LoggedOut() {
  return html`<main class="login">
    <h1>Lattice console</h1>
    <p>You are not logged in, or your session has ended.</p>
    <p>On the machine running the container, run <code>lattice console --home HOME</code> (the container's home; the current folder by default) and open the link it prints. Each link works once, for five minutes.</p>
  </main>`;
}

/** Asks the container first: the console (and its event stream) only for a logged-in session. */
function App() {
  const [session, setSession] = useState('checking');
  useEffect(() => onLoggedOut(() => setSession('out')), []);
  useEffect(() => {
    api.get('status').then(
      () => setSession('in'),
      (error) => setSession(error.status === 401 ? 'out' : 'in'),
    );
  }, []);
  if (session === 'checking') return html`<p class="loading">Loading the console…</p>`;
  return session === 'out' ? html`<${LoggedOut} />` : html`<${Console} onLogout=${() => setSession('out')} />`;
}

function Console({ onLogout }) {
  const [route, setRoute] = useState(currentRoute());
  const [status, setStatus] = useState(undefined);
  const live = useLive();
  useEffect(() => {
    const changed = () => setRoute(currentRoute());
    addEventListener('hashchange', changed);
    // The address may have changed between the first render and now (effects run after it).
    changed();
    return () => removeEventListener('hashchange', changed);
  }, []);
  useEffect(() => {
    api.get('status').then(setStatus, () => undefined);
  }, [live.revision]);
  const found = PAGES.find(([id]) => id === route.page) ?? PAGES[0];
  const Page = route.page === 'components' && route.arg !== undefined ? ComponentDetail : found[2];
  const logout = () => api.logout().finally(onLogout);
  return html`<header>
      <span class="brand">Lattice</span>
      <span class="node">${status ? `${status.nodeId === null ? 'no node id' : `node ${status.nodeId}`} · pid ${status.pid} · Lattice ${status.version}` : ''}</span>
      <span class=${`live ${live.status}`} title="live updates">${live.status}</span>
      <button class="link" onClick=${logout}>Log out</button>
    </header>
    <nav>${PAGES.map(([id, title]) => html`<a href=${`#/${id}`} class=${found[0] === id ? 'current' : ''}>${title}</a>`)}</nav>
    <main><${Page} arg=${route.arg} revision=${live.revision} logRevision=${live.logRevision} /></main>`;
}

render(html`<${App} />`, document.getElementById('app'));
