// The placeholder page until the React app lands: opens the engine on this page's WebGPU adapter
// and lists the adapter, its features and limits (plus Electron's versions when in the app).
// body[data-state] becomes 'ready' or 'error' so browser tests know when to look.

import type { GpuContext } from '../shaders/index.js';
import { electronApi, openGpu } from './host/host.js';

type Rows = ReadonlyArray<readonly [string, string]>;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (className !== undefined) e.className = className;
  return e;
}

function table(title: string, rows: Rows): HTMLElement {
  const section = el('section');
  section.append(el('h2', title));
  const t = el('table');
  for (const [k, v] of rows) {
    const tr = el('tr');
    tr.append(el('td', k), el('td', v));
    t.append(tr);
  }
  section.append(t);
  return section;
}

function featureList(title: string, features: Iterable<string>): HTMLElement {
  const section = el('section');
  section.append(el('h2', title));
  const ul = el('ul', undefined, 'features');
  for (const f of [...features].sort()) ul.append(el('li', f));
  section.append(ul);
  return section;
}

/** GPUSupportedLimits exposes its values as prototype getters, so walk the prototype. */
function limitRows(limits: GPUSupportedLimits): Rows {
  const proto = Object.getPrototypeOf(limits) as object;
  const names = Object.keys(Object.getOwnPropertyDescriptors(proto)).filter((k) => k !== 'constructor' && k !== '__brand');
  const rec = limits as unknown as Record<string, unknown>;
  return names
    .filter((k) => typeof rec[k] === 'number')
    .sort()
    .map((k) => [k, (rec[k] as number).toLocaleString('en-US')] as const);
}

function adapterRows(ctx: GpuContext): Rows {
  const info = ctx.device.adapterInfo;
  const rows: Array<readonly [string, string]> = [
    ['vendor', info.vendor || '—'],
    ['architecture', info.architecture || '—'],
    ['device', info.device || '—'],
    ['description', info.description || '—'],
  ];
  if (info.subgroupMinSize !== undefined) rows.push(['subgroup sizes', `${info.subgroupMinSize}–${info.subgroupMaxSize ?? '?'}`]);
  rows.push(['user agent', navigator.userAgent]);
  return rows;
}

async function hostRows(): Promise<Rows> {
  const api = electronApi();
  if (!api) return [['host', 'web (no Electron preload)']];
  const r = await api.version();
  if (!r.ok) return [['host', `electron: ${r.error.name}: ${r.error.message}`]];
  const v = r.value;
  return [
    ['host', 'electron'],
    ['app', v.app],
    ['electron', v.electron],
    ['chrome', v.chrome],
    ['node', v.node],
    ['platform', `${v.platform} ${v.arch}`],
  ];
}

async function show(root: HTMLElement): Promise<void> {
  const ctx = await openGpu();
  const host = await hostRows();
  root.replaceChildren(
    table('Adapter', adapterRows(ctx)),
    table('Host', host),
    featureList('Device features', ctx.features),
    table('Device limits', limitRows(ctx.limits)),
  );
}

const root = document.getElementById('app');
if (root) {
  show(root).then(
    () => {
      document.body.dataset['state'] = 'ready';
    },
    (e: unknown) => {
      const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      root.replaceChildren(el('p', msg, 'error'));
      document.body.dataset['state'] = 'error';
    },
  );
}
