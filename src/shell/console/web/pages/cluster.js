import { html } from '../vendor/preact.js';
import { api } from '../api.js';
import { Loading, Table, useData, useTicker } from '../ui.js';

/**
 * The cluster's nodes, as the cluster feature's `cluster nodes` command gives them (the console knows the
 * cluster only through what it contributes).
 */
export function Cluster() {
  const nodes = useData(async () => {
    const commands = await api.get('commands');
    if (!commands.some((c) => c.scope === 'cluster' && c.name === 'nodes')) return null;
    return api.post('commands/cluster:nodes', { args: [] });
    // Every 5 s, not on events: running the command activates it (a delayed component), which is an event.
  }, [useTicker(5000)]);
  return html`<h1>Cluster</h1>
    <${Loading} ...${nodes}>
      ${nodes.data === null
        ? html`<p class="muted">No cluster here: install the <code>onos-core</code> feature (or one that brings a <code>cluster nodes</code> command).</p>`
        : nodes.data &&
          (nodes.data.table
            ? html`<${Table} columns=${nodes.data.table.columns} rows=${nodes.data.table.rows.map((row) => row.map((cell) => String(cell ?? '')))} />`
            : html`<pre>${nodes.data.text ?? ''}</pre>`)}
    <//>`;
}
