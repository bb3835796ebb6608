// The app shell: boots the engine on the host's WebGPU, lists the bundled samples and opens one
// (no setup needed), then lays out the prompt & output panel beside the tabbed panels, the
// toolbar (model, layer, head, scale), the command palette, the shortcut sheet and notices.
// Global keys: Ctrl/Cmd+Shift+P palette, ? help, 1–9 panels, Esc clears the locked token,
// [ ] layer, { } head, T the guided tour, Ctrl/Cmd+S save the session, Ctrl/Cmd+Shift+O open one.
// With ?debug in the URL (the end-to-end tests), the store and a device-loss trigger are exposed
// as window.__regla.

import { useCallback, useEffect, useMemo, useRef, useState, type JSX } from 'react';
import { currentHost, openGpu, type Host, type SampleEntry } from './host/host.js';
import { PANELS, panelById } from './panels/registry.js';
import { PromptPanel } from './panels/prompt/PromptPanel.js';
import { HighlightRing } from './panels/tour/HighlightRing.js';
import { Runner, describe } from './session/runner.js';
import { ServicesContext } from './session/RunnerContext.js';
import { currentConfig, currentRun, useStore } from './state/store.js';
import type { ModelRef } from './state/types.js';
import { CommandPalette, HelpSheet, type Command } from './ui/CommandPalette.js';
import { panelPng, panelSvg } from './ui/exportPanel.js';
import { captureFiles, runTraceMeta } from './session/export.js';
import { BUNDLE_EXTENSION, ModelHashes, bundleName, decodeSession, encodeSession, resolveModels, restorePlan, snapshotSession, type Candidate } from './session/bundle.js';
import { toChromeTrace, toCsv, type FolderReader, type ModelConfig } from '../shaders/index.js';

declare global {
  interface Window {
    /** With ?debug in the page URL, for tests and the devtools console: the store, and a way to lose the GPU device on purpose. */
    __regla?: { store: typeof useStore; loseDevice: () => void };
  }
}

/** The sample opened on first launch. */
const DEFAULT_SAMPLE = 'regla';

function sampleRef(e: SampleEntry): ModelRef {
  return { key: `sample:${e.name}`, name: e.name, kind: 'sample', variant: e.name, about: e.about, parameters: e.parameters };
}

let folderCounter = 0;

export function App({ host: given }: { host?: Host }): JSX.Element {
  // One host for the app's life (a fresh object per render would re-run every effect that uses it).
  const [host] = useState<Host>(() => given ?? currentHost());
  const [runner, setRunner] = useState<Runner | null>(null);
  const [samples, setSamples] = useState<SampleEntry[]>([]);
  const [fatal, setFatal] = useState<string | null>(null);
  const st = useStore;
  const panel = useStore((s) => s.panel);
  const paletteOpen = useStore((s) => s.paletteOpen);
  const helpOpen = useStore((s) => s.helpOpen);
  const models = useStore((s) => s.models);
  const activeModel = useStore((s) => s.activeModel);
  const progress = useStore((s) => s.progress);
  const notices = useStore((s) => s.notices);
  const gpu = useStore((s) => s.gpu);
  const gpuLost = useStore((s) => s.gpuLost);
  const layer = useStore((s) => s.layer);
  const head = useStore((s) => s.head);
  const scale = useStore((s) => s.scale);
  const run = useStore(currentRun);
  const config = useStore((s) => (s.activeModel ? s.loaded[s.activeModel]?.config : undefined));
  // Content hashes of the models opened here, computed when a session is saved or opened.
  const [hashes] = useState(() => new ModelHashes());
  const recordedModel = useStore((s) => {
    const r = currentRun(s);
    return r && !s.loaded[r.model.key] ? s.recorded[r.model.key] : undefined;
  });

  const openSample = useCallback(
    async (r: Runner, e: SampleEntry) => {
      const ref = sampleRef(e);
      await r.load(ref, host.sampleFolder(e));
      if (!hashes.has(ref.key)) hashes.track(ref.key, () => host.sampleFolder(e));
      st.getState().setActiveModel(ref.key);
    },
    [host, st, hashes],
  );

  /**
   * Opens the GPU and a Runner on it, watching for device loss. A lost device (driver reset, GPU
   * removed, or destroyed) leaves the store as it is — runs, results, settings — and raises the
   * banner that offers restartGpu().
   */
  const startGpu = useCallback(async (): Promise<Runner> => {
    const ctx = await openGpu();
    const info = ctx.device.adapterInfo;
    st.getState().setGpu({ adapter: [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'WebGPU adapter', features: [...ctx.features], quantized: null });
    st.getState().setGpuLost(null);
    ctx.device.lost
      .then((l) => st.getState().setGpuLost(`${l.reason}${l.message ? `: ${l.message}` : ''}`))
      .catch(() => undefined);
    const r = new Runner(ctx);
    // The debug hook: opt-in per page load (?debug), never on in the Electron window (its URL has no query).
    if (new URLSearchParams(window.location.search).has('debug')) window.__regla = { store: useStore, loseDevice: () => ctx.device.destroy() };
    setRunner(r);
    return r;
  }, [st]);

  // Boot: GPU, samples, the default sample.
  useEffect(() => {
    let cancelled = false;
    (async () => {
      const r = await startGpu();
      if (cancelled) return;
      const list = await host.listSamples();
      if (cancelled) return;
      setSamples(list);
      st.getState().setModels(list.map(sampleRef));
      const saved = await host.getSettings?.().catch(() => null);
      if (saved?.panel && panelById(saved.panel)) st.getState().setPanel(saved.panel);
      const first = list.find((e) => `sample:${e.name}` === saved?.lastModel) ?? list.find((e) => e.name === DEFAULT_SAMPLE) ?? list[0];
      if (first) await openSample(r, first);
      document.body.dataset['state'] = 'ready';
    })().catch((e: unknown) => {
      setFatal(describe(e));
      document.body.dataset['state'] = 'error';
    });
    return () => {
      cancelled = true;
    };
  }, [host, openSample, st, startGpu]);

  // Folder models opened this session, so a GPU restart can upload them again.
  const folderReaders = useRef(new Map<string, FolderReader>());

  /** After a lost device: a new device and Runner, and the active model uploaded again. Runs stay. */
  const restartGpu = useCallback(async () => {
    const s = st.getState();
    try {
      runner?.dispose();
    } catch {
      // the old device is gone: nothing of it can be released any more
    }
    setRunner(null);
    try {
      const r = await startGpu();
      const key = s.activeModel;
      const e = samples.find((x) => `sample:${x.name}` === key);
      const reader = key ? folderReaders.current.get(key) : undefined;
      const ref = key ? s.models.find((m) => m.key === key) : undefined;
      if (e) await openSample(r, e);
      else if (reader && ref) await r.load(ref, reader);
      s.notify('info', `GPU restarted${key ? `; ${ref?.name ?? key} is loaded again` : ''}. Your runs are kept.`);
    } catch (err) {
      s.setGpuLost(describe(err));
    }
  }, [runner, samples, openSample, startGpu, st]);

  const chooseModel = useCallback(
    async (key: string) => {
      if (!runner) return;
      const e = samples.find((x) => `sample:${x.name}` === key);
      try {
        if (e) await openSample(runner, e);
        else if (runner.isOpen(key)) st.getState().setActiveModel(key);
      } catch (err) {
        st.getState().notify('error', describe(err));
      }
    },
    [runner, samples, openSample, st],
  );

  const openFolder = useCallback(
    async (reader: Awaited<ReturnType<Host['pickFolder']>>) => {
      if (!runner || !reader) return;
      const ref: ModelRef = { key: `folder:${reader.name}#${++folderCounter}`, name: reader.name, kind: 'folder', variant: 'folder' };
      try {
        const m = await runner.load(ref, reader);
        folderReaders.current.set(ref.key, reader);
        hashes.track(ref.key, reader);
        st.getState().addModel({ ...ref, variant: m.config.modelType });
        st.getState().setActiveModel(ref.key);
        st.getState().notify('info', `Opened ${reader.name}`);
      } catch (err) {
        st.getState().notify('error', describe(err));
      }
    },
    [runner, st, hashes],
  );

  /** Saves every run, its models (reference, config, content hash) and the view as one .reglasession. */
  const saveSession = useCallback(async () => {
    const s = st.getState();
    try {
      const { snapshot, skipped, unhashed } = await snapshotSession(s, (key) => hashes.hash(key));
      if (snapshot.runs.length === 0) {
        s.notify('error', 'Nothing to save: generate a run first.');
        return;
      }
      const bytes = encodeSession(snapshot);
      await host.save(bundleName(snapshot), new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
      if (skipped.length > 0) s.notify('error', `Not saved: ${skipped.join(', ')} (their model's config is unknown).`);
      if (unhashed.length > 0) s.notify('error', `Saved without a content hash for ${unhashed.join(', ')} (its folder could not be read): reopening cannot check it.`);
    } catch (e) {
      s.notify('error', describe(e));
    }
  }, [host, hashes, st]);

  /**
   * Opens a .reglasession: its runs join the store and its view is restored. A model whose content
   * matches a bundled sample or an open folder is usable (load it to continue); otherwise its runs
   * show the recorded results under a banner, and a same-named model with other content is a warning.
   */
  const openSessionFile = useCallback(async (file: { name: string; bytes: Uint8Array }) => {
    const s = st.getState();
    try {
      const snap = decodeSession(file.bytes, file.name);
      const candidates: Candidate[] = samples.map((e) => {
        const ref = sampleRef(e);
        if (!hashes.has(ref.key)) hashes.track(ref.key, () => host.sampleFolder(e));
        return { ref, hash: () => hashes.hash(ref.key) };
      });
      for (const m of st.getState().models) if (m.kind === 'folder' && hashes.has(m.key)) candidates.push({ ref: m, hash: () => hashes.hash(m.key) });
      const resolution = await resolveModels(snap.models, candidates);
      const plan = restorePlan(snap, resolution);
      st.getState().restoreSession(plan);
      if (plan.ui.activeModel && runner?.isOpen(plan.ui.activeModel)) st.getState().setActiveModel(plan.ui.activeModel);
      for (const r of resolution.values()) {
        if (r.status === 'mismatch') s.notify('error', `${r.warning.name} (warning): ${r.warning.message}; showing the recorded results.`);
        else if (r.status !== 'usable') s.notify('info', `${r.message}: showing the recorded results.`);
      }
      s.notify('info', `Opened ${file.name}: ${snap.runs.length} run${snap.runs.length === 1 ? '' : 's'} saved ${snap.savedAt.slice(0, 16).replace('T', ' ')}${snap.gpu ? ` on ${snap.gpu.adapter}` : ''}.`);
    } catch (e) {
      s.notify('error', describe(e));
    }
  }, [host, hashes, runner, samples, st]);

  const openSession = useCallback(async () => {
    try {
      const file = await host.openFile({ name: 'ReGLA session', extensions: [BUNDLE_EXTENSION] });
      if (file) await openSessionFile(file);
    } catch (e) {
      st.getState().notify('error', describe(e));
    }
  }, [host, openSessionFile, st]);

  const commands = useMemo<Command[]>(() => {
    const s = st.getState();
    const list: Command[] = PANELS.map((p, i) => ({ id: `panel.${p.id}`, title: `Show ${p.title}`, keys: i < 9 ? String(i + 1) : undefined, run: () => s.setPanel(p.id) } as Command));
    list.push(
      { id: 'model.open', title: 'Open Model Folder…', keys: 'Ctrl+O', run: () => void host.pickFolder().then(openFolder) },
      { id: 'session.save', title: 'Save Session…', keys: 'Ctrl+S', run: () => void saveSession() },
      { id: 'session.open', title: 'Open Session…', keys: 'Ctrl+Shift+O', run: () => void openSession() },
      { id: 'view.scale', title: 'Toggle linear / logit scale', keys: 'L', run: () => s.setScale(s.scale === 'linear' ? 'logit' : 'linear') },
      { id: 'select.clear', title: 'Clear the locked token', keys: 'Esc', run: () => s.clearSelection() },
      { id: 'tour.start', title: 'Guided tour through one layer', keys: 'T', run: () => s.setPanel('tour') },
      { id: 'layer.next', title: 'Next layer', keys: ']', run: () => s.setLayer(s.layer + 1) },
      { id: 'layer.prev', title: 'Previous layer', keys: '[', run: () => s.setLayer(s.layer - 1) },
      { id: 'help', title: 'Keyboard shortcuts', keys: '?', run: () => s.setHelpOpen(true) },
      { id: 'palette', title: 'Command palette', keys: 'Ctrl+Shift+P', run: () => s.setPaletteOpen(true) },
      { id: 'export.capture', title: 'Export Capture… (safetensors + JSON)', run: () => void exportCapture(host) },
      { id: 'export.trace', title: 'Export Trace… (Chrome trace JSON for Perfetto)', run: () => void exportTrace(host, 'trace') },
      { id: 'export.csv', title: 'Export kernel table as CSV…', run: () => void exportTrace(host, 'csv') },
      { id: 'export.panel.png', title: 'Export Panel as PNG…', run: () => void exportPanel(host, 'png') },
      { id: 'export.panel.svg', title: 'Export Panel as SVG…', run: () => void exportPanel(host, 'svg') },
    );
    for (const e of samples) list.push({ id: `sample.${e.name}`, title: `Open sample: ${e.name} — ${e.about}`, run: () => void chooseModel(`sample:${e.name}`) });
    return list;
  }, [samples, chooseModel, host, openFolder, saveSession, openSession, st]);

  // Global keys.
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const s = st.getState();
      const typing = e.target instanceof HTMLElement && (e.target.tagName === 'INPUT' || e.target.tagName === 'TEXTAREA' || e.target.tagName === 'SELECT' || e.target.isContentEditable);
      if ((e.ctrlKey || e.metaKey) && e.shiftKey && e.key.toLowerCase() === 'p') {
        e.preventDefault();
        s.setPaletteOpen(!s.paletteOpen);
        return;
      }
      if ((e.ctrlKey || e.metaKey) && e.shiftKey && e.key.toLowerCase() === 'o') {
        e.preventDefault();
        void openSession();
        return;
      }
      if ((e.ctrlKey || e.metaKey) && !e.shiftKey && e.key.toLowerCase() === 's') {
        e.preventDefault();
        void saveSession();
        return;
      }
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'o') {
        e.preventDefault();
        void host.pickFolder().then(openFolder);
        return;
      }
      if (e.key === 'Escape') {
        if (s.paletteOpen) s.setPaletteOpen(false);
        else if (s.helpOpen) s.setHelpOpen(false);
        else s.clearSelection();
        return;
      }
      if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === '?') s.setHelpOpen(!s.helpOpen);
      else if (/^[1-9]$/.test(e.key)) {
        const p = PANELS[Number(e.key) - 1];
        if (p) s.setPanel(p.id);
      } else if (e.key === ']') s.setLayer(s.layer + 1);
      else if (e.key === '[') s.setLayer(s.layer - 1);
      else if (e.key === '}') s.setHead(s.head + 1);
      else if (e.key === '{') s.setHead(s.head - 1);
      else if (e.key === 'l' || e.key === 'L') s.setScale(s.scale === 'linear' ? 'logit' : 'linear');
      else if (e.key === 't' || e.key === 'T') s.setPanel('tour');
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [host, openFolder, openSession, saveSession, st]);

  // Menu commands (Electron's File / View menus): the same commands as the palette, by id.
  useEffect(() => {
    if (!host.onCommand) return;
    return host.onCommand((c) => {
      // Open Recent: 'recent.<i>' names entry i of main's recent list; main resolves it (no path here).
      const recent = /^recent\.(\d)$/.exec(c.id);
      if (recent) {
        host.openRecent?.(Number(recent[1])).then(openFolder, (e: unknown) => st.getState().notify('error', describe(e)));
        return;
      }
      const cmd = commands.find((x) => x.id === c.id);
      if (cmd) cmd.run();
    });
  }, [host, commands, openFolder, st]);

  // Persist the renderer's part of the settings (the model and the panel shown), where the host keeps settings.
  const panelNow = useStore((s) => s.panel);
  useEffect(() => {
    host.setSettings?.({ lastModel: activeModel, panel: panelNow }).catch(() => undefined);
  }, [host, activeModel, panelNow]);

  // Layer/head follow the model's shape.
  useEffect(() => {
    if (!config) return;
    const s = st.getState();
    if (s.layer >= config.numLayers) s.setLayer(config.numLayers - 1);
    if (s.head >= config.numHeads) s.setHead(config.numHeads - 1);
  }, [config, layer, head, st]);

  const active = panelById(panel) ?? PANELS[0];
  const ActivePanel = active?.Component;

  return (
    <ServicesContext.Provider value={{ runner, host }}>
      <div
        className="app"
        onDragOver={(e) => e.preventDefault()}
        onDrop={(e) => {
          e.preventDefault();
          const files = [...e.dataTransfer.files];
          const bundle = files.length === 1 && files[0]?.name.endsWith(`.${BUNDLE_EXTENSION}`) ? files[0] : null;
          // A dropped .reglasession opens as a session; anything else as a model folder.
          if (bundle) void bundle.arrayBuffer().then((b) => openSessionFile({ name: bundle.name, bytes: new Uint8Array(b) }), (err: unknown) => st.getState().notify('error', describe(err)));
          else if (files.length > 0) void openFolder(host.droppedFolder(files));
        }}
      >
        <header className="toolbar">
          <h1>ReGLA Studio</h1>
          <select value={activeModel ?? ''} onChange={(e) => void chooseModel(e.target.value)} data-testid="model-select" aria-label="Model">
            {activeModel === null ? <option value="">(no model)</option> : null}
            {models.map((m) => (
              <option key={m.key} value={m.key}>
                {m.kind === 'sample' ? `${m.name} (sample)` : m.name}
              </option>
            ))}
          </select>
          <button type="button" onClick={() => void host.pickFolder().then(openFolder)} title="Open Model Folder… (Ctrl+O)">
            Open folder…
          </button>
          <label className="inline">
            layer
            <input type="number" min={0} max={config ? config.numLayers - 1 : 0} value={layer} onChange={(e) => st.getState().setLayer(Number(e.target.value))} data-testid="layer" />
          </label>
          <label className="inline">
            head
            <input type="number" min={0} max={config ? config.numHeads - 1 : 0} value={head} onChange={(e) => st.getState().setHead(Number(e.target.value))} data-testid="head" />
          </label>
          <label className="inline">
            scale
            <select value={scale} onChange={(e) => st.getState().setScale(e.target.value as 'linear' | 'logit')}>
              <option value="linear">linear</option>
              <option value="logit">logit</option>
            </select>
          </label>
          <span className="spacer" />
          {gpu ? (
            <span className="badge" title={gpu.features.join(', ')} data-testid="gpu-badge">
              {gpu.adapter} · {gpu.features.includes('timestamp-query') ? 'GPU timestamps' : 'CPU timing only'}
            </span>
          ) : null}
          <button type="button" onClick={() => st.getState().setPaletteOpen(true)} title="Command palette (Ctrl+Shift+P)">
            ⌘
          </button>
          <button type="button" onClick={() => st.getState().setHelpOpen(true)} title="Keyboard shortcuts (?)">
            ?
          </button>
        </header>
        {progress ? (
          <div className="progress" role="progressbar" aria-valuenow={Math.round(progress.fraction * 100)}>
            {progress.label} {Math.round(progress.fraction * 100)}%
          </div>
        ) : null}
        {gpuLost ? (
          <div className="banner error" role="alert" data-testid="gpu-lost">
            The GPU device was lost ({gpuLost}). Your runs, results and settings are kept; the model must be uploaded to a new device.
            <button type="button" onClick={() => void restartGpu()} data-testid="gpu-restart">
              Restart GPU
            </button>
          </div>
        ) : null}
        {recordedModel ? (
          <div className={`session-banner${recordedModel.status === 'usable' ? '' : ' warn'}`} role="status" data-testid="session-banner" data-status={recordedModel.status}>
            {recordedModel.status === 'usable'
              ? `Recorded results of ${recordedModel.ref.name}, whose content matches the local model: open it from the model list to continue.`
              : `model ${recordedModel.ref.name} is not available: showing the recorded results${recordedModel.message ? ` (${recordedModel.message})` : ''}`}
          </div>
        ) : null}
        {fatal ? (
          <p className="error" data-testid="fatal">
            {fatal}
          </p>
        ) : null}
        <div className="workspace">
          <PromptPanel />
          <main className="panels">
            <nav className="tabs" role="tablist">
              {PANELS.map((p, i) => (
                <button key={p.id} type="button" role="tab" aria-selected={p.id === active?.id} className={p.id === active?.id ? 'active' : ''} onClick={() => st.getState().setPanel(p.id)} title={`${p.description} (${i + 1})`} data-testid={`tab-${p.id}`}>
                  {p.title}
                </button>
              ))}
            </nav>
            <div className="panel-body" data-panel={active?.id}>
              {ActivePanel ? <ActivePanel /> : null}
              {!run ? <p className="hint">No run yet: generate from the prompt panel.</p> : null}
            </div>
          </main>
        </div>
        <div className="notices">
          {notices.map((n) => (
            <div key={n.id} className={`notice ${n.kind}`} role={n.kind === 'error' ? 'alert' : 'status'}>
              {n.text}
              <button type="button" onClick={() => st.getState().dismiss(n.id)} aria-label="Dismiss">
                ×
              </button>
            </div>
          ))}
        </div>
        <HighlightRing />
        {paletteOpen ? <CommandPalette commands={commands} onClose={() => st.getState().setPaletteOpen(false)} /> : null}
        {helpOpen ? <HelpSheet shortcuts={SHORTCUTS} onClose={() => st.getState().setHelpOpen(false)} /> : null}
      </div>
    </ServicesContext.Provider>
  );
}

/** The current run and its model's config, or a notice saying why there is nothing to export. */
function exportable(): { run: NonNullable<ReturnType<typeof currentRun>>; config: ModelConfig } | null {
  const s = useStore.getState();
  const run = currentRun(s);
  const config = currentConfig(s);
  if (!run || !config) {
    s.notify('error', 'Nothing to export: generate a run first.');
    return null;
  }
  return { run, config };
}

async function exportCapture(host: Host): Promise<void> {
  const x = exportable();
  if (!x) return;
  try {
    const f = captureFiles(x.run, x.config);
    const base = `regla-capture-${x.run.model.name}-${x.run.id}`;
    await host.save(`${base}.json`, new Blob([f.json], { type: 'application/json' }));
    await host.save(`${base}.safetensors`, new Blob([f.safetensors as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  } catch (e) {
    useStore.getState().notify('error', describe(e));
  }
}

async function exportTrace(host: Host, kind: 'trace' | 'csv'): Promise<void> {
  const x = exportable();
  if (!x) return;
  const report = x.run.profile;
  if (!report) {
    useStore.getState().notify('error', 'No kernel profile for this run yet: press Profile in the Kernels panel.');
    return;
  }
  const gpu = useStore.getState().gpu;
  const body = kind === 'trace' ? JSON.stringify(toChromeTrace(report, runTraceMeta(x.run, { ...(gpu ? { adapter: { description: gpu.adapter } } : {}) }))) : toCsv(report);
  await host.save(`regla-${kind === 'trace' ? 'trace.json' : 'kernels.csv'}`, new Blob([body], { type: kind === 'trace' ? 'application/json' : 'text/csv' }));
}

async function exportPanel(host: Host, kind: 'png' | 'svg'): Promise<void> {
  const s = useStore.getState();
  const root = document.querySelector<HTMLElement>('.panel-body');
  if (!root) return;
  try {
    const blob = kind === 'png' ? await panelPng(root) : new Blob([panelSvg(root)], { type: 'image/svg+xml' });
    await host.save(`regla-${s.panel}.${kind}`, blob);
  } catch (e) {
    s.notify('error', describe(e));
  }
}

export const SHORTCUTS: ReadonlyArray<readonly [string, string]> = [
  ['Ctrl/Cmd+Shift+P', 'command palette'],
  ['?', 'this sheet'],
  ['Ctrl/Cmd+O', 'open a model folder'],
  ['Ctrl/Cmd+S', 'save the session (.reglasession)'],
  ['Ctrl/Cmd+Shift+O', 'open a saved session'],
  ['Ctrl+Enter', 'generate (in the prompt)'],
  ['1–9', 'show panel 1–9'],
  ['hover a token', 'preview it in every panel'],
  ['click a token', 'lock / unlock it'],
  ['Esc', 'clear the locked token, close dialogs'],
  ['[ / ]', 'previous / next layer'],
  ['{ / }', 'previous / next head'],
  ['L', 'linear / logit scale'],
  ['T', 'the guided tour'],
  ['Space / → , ←', 'tour: next step, previous step'],
  ['W A S D', 'kernel timeline: zoom in, pan left, zoom out, pan right'],
  ['F', 'kernel timeline: fit the selection'],
];
