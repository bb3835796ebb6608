// The one zustand store, built from typed slices: the model catalog, runs (what each produced),
// the token/layer/head selection every panel follows, compare mode and UI state. Actions live
// next to their state; the session runner writes engine results with setState from outside React.
// Panels read with narrow selectors (useStore((s) => s.x)).

import { create, type StateCreator } from 'zustand';
import type { FeatureMapKind, InterventionKind, ModelConfig } from '../../shaders/index.js';
import type { ModelHash } from '../host/folder.js';
import type { LoadedModel, ModelRef, Run } from './types.js';

// ---------------------------------------------------------------- catalog

export interface CatalogSlice {
  /** Models the host offers (bundled samples first), and those loaded on the GPU by key. */
  models: ModelRef[];
  loaded: Record<string, LoadedModel>;
  /** The model the prompt panel runs. */
  activeModel: string | null;
  setModels: (models: ModelRef[]) => void;
  addModel: (ref: ModelRef) => void;
  setLoaded: (m: LoadedModel) => void;
  setActiveModel: (key: string | null) => void;
  /**
   * Models known from an opened session bundle, by the key their restored runs carry: the recorded
   * config keeps the panels drawing the recorded results when the model itself is not open.
   */
  recorded: Record<string, RecordedModel>;
}

/** A session bundle's model as restored (renderer/session/bundle.ts decides its status). */
export interface RecordedModel {
  ref: ModelRef;
  config: ModelConfig;
  hash: ModelHash | null;
  /** usable: a local sample or open folder has the same content (its key is ref.key). */
  status: 'usable' | 'mismatch' | 'unverified' | 'missing';
  /** Why it is not usable (null when it is). */
  message: string | null;
}

const catalog: StateCreator<Store, [], [], CatalogSlice> = (set) => ({
  models: [],
  loaded: {},
  activeModel: null,
  setModels: (models) => set({ models }),
  addModel: (ref) => set((s) => ({ models: [...s.models.filter((m) => m.key !== ref.key), ref] })),
  setLoaded: (m) => set((s) => ({ loaded: { ...s.loaded, [m.ref.key]: m } })),
  setActiveModel: (activeModel) => set({ activeModel }),
  recorded: {},
});

// ---------------------------------------------------------------- runs

export interface RunsSlice {
  runs: Record<string, Run>;
  /** Run ids in creation order. */
  runOrder: string[];
  /** The run the single-run panels show. */
  currentRun: string | null;
  putRun: (run: Run) => void;
  updateRun: (id: string, patch: Partial<Run> | ((r: Run) => Partial<Run>)) => void;
  setCurrentRun: (id: string | null) => void;
  removeRun: (id: string) => void;
}

const runs: StateCreator<Store, [], [], RunsSlice> = (set) => ({
  runs: {},
  runOrder: [],
  currentRun: null,
  putRun: (run) =>
    set((s) => ({
      runs: { ...s.runs, [run.id]: run },
      runOrder: s.runOrder.includes(run.id) ? s.runOrder : [...s.runOrder, run.id],
    })),
  updateRun: (id, patch) =>
    set((s) => {
      const r = s.runs[id];
      if (!r) return {};
      const p = typeof patch === 'function' ? patch(r) : patch;
      return { runs: { ...s.runs, [id]: { ...r, ...p } } };
    }),
  setCurrentRun: (currentRun) => set({ currentRun }),
  removeRun: (id) =>
    set((s) => {
      const { [id]: _gone, ...rest } = s.runs;
      void _gone;
      return {
        runs: rest,
        runOrder: s.runOrder.filter((x) => x !== id),
        currentRun: s.currentRun === id ? (s.runOrder.filter((x) => x !== id).at(-1) ?? null) : s.currentRun,
        compare: s.compare.filter((x) => x !== id),
        tourCompare: s.tourCompare === id ? null : s.tourCompare,
      };
    }),
});

// ---------------------------------------------------------------- selection

export type GateQuantity = 'g' | 'r' | 'F' | 'logA';
export type ValueScale = 'linear' | 'logit';
export type TokenMetric = 'none' | 'logprob' | 'entropy' | 'gate' | 'stateNorm';

export interface SelectionSlice {
  /** Token position under the pointer (preview), and the locked one (click). */
  hoverToken: number | null;
  lockedToken: number | null;
  layer: number;
  head: number;
  gateQuantity: GateQuantity;
  scale: ValueScale;
  tokenMetric: TokenMetric;
  /** Saturation threshold eps: α (or g) within eps of 0 or 1 counts as saturated. */
  threshold: number;
  setHover: (pos: number | null) => void;
  toggleLock: (pos: number) => void;
  clearSelection: () => void;
  setLayer: (layer: number) => void;
  setHead: (head: number) => void;
  setGateQuantity: (q: GateQuantity) => void;
  setScale: (s: ValueScale) => void;
  setTokenMetric: (m: TokenMetric) => void;
  setThreshold: (eps: number) => void;
}

const selection: StateCreator<Store, [], [], SelectionSlice> = (set) => ({
  hoverToken: null,
  lockedToken: null,
  layer: 0,
  head: 0,
  gateQuantity: 'F',
  scale: 'linear',
  tokenMetric: 'logprob',
  threshold: 0.05,
  setHover: (hoverToken) => set({ hoverToken }),
  toggleLock: (pos) => set((s) => ({ lockedToken: s.lockedToken === pos ? null : pos })),
  clearSelection: () => set({ lockedToken: null, hoverToken: null }),
  setLayer: (layer) => set({ layer: Math.max(0, Math.floor(layer)) }),
  setHead: (head) => set({ head: Math.max(0, Math.floor(head)) }),
  setGateQuantity: (gateQuantity) => set({ gateQuantity }),
  setScale: (scale) => set({ scale }),
  setTokenMetric: (tokenMetric) => set({ tokenMetric }),
  setThreshold: (threshold) => set({ threshold: Math.min(0.5, Math.max(1e-6, threshold)) }),
});

/** The token every panel highlights: the locked one, else the one under the pointer. */
export function focusToken(s: Pick<SelectionSlice, 'hoverToken' | 'lockedToken'>): number | null {
  return s.lockedToken ?? s.hoverToken;
}

// ---------------------------------------------------------------- compare

export const MAX_COMPARE = 4;

export interface CompareSlice {
  /** Run ids shown side by side (2–4 to compare). */
  compare: string[];
  /** One colour/value scale across the compared runs. */
  sharedScale: boolean;
  toggleCompare: (runId: string) => void;
  setCompare: (runIds: readonly string[]) => void;
  setSharedScale: (on: boolean) => void;
}

const compareSlice: StateCreator<Store, [], [], CompareSlice> = (set) => ({
  compare: [],
  sharedScale: true,
  toggleCompare: (runId) =>
    set((s) =>
      s.compare.includes(runId)
        ? { compare: s.compare.filter((x) => x !== runId) }
        : { compare: [...s.compare, runId].slice(-MAX_COMPARE) },
    ),
  setCompare: (runIds) => set({ compare: [...new Set(runIds)].slice(0, MAX_COMPARE) }),
  setSharedScale: (sharedScale) => set({ sharedScale }),
});

// ---------------------------------------------------------------- interventions

/**
 * One row of the Interventions editor as typed (every kind's fields, so switching kinds keeps them);
 * panels/interventions/editor.ts turns rows into Interventions and validates them.
 */
export interface InterventionRow {
  /** Stable React key. */
  id: number;
  kind: InterventionKind;
  /** Layer scope of the layer-scoped kinds: every layer, or the list typed in `layers` ("0-3, 5"). */
  scope: 'all' | 'list';
  layers: string;
  /** scale_head's layer and head. */
  layer: number;
  head: number;
  min: number;
  max: number;
  value: 0 | 1;
  scale: number;
  map: FeatureMapKind;
}

export interface InterventionsSlice {
  /** The Interventions panel's list being edited (kept across panel switches). */
  interventionRows: InterventionRow[];
  /** Intervened run id → the run it was re-run from (its baseline). */
  derivedFrom: Record<string, string>;
  setInterventionRows: (rows: InterventionRow[]) => void;
  setDerivedFrom: (runId: string, baseId: string) => void;
}

const interventionsSlice: StateCreator<Store, [], [], InterventionsSlice> = (set) => ({
  interventionRows: [],
  derivedFrom: {},
  setInterventionRows: (interventionRows) => set({ interventionRows }),
  setDerivedFrom: (runId, baseId) => set((s) => ({ derivedFrom: { ...s.derivedFrom, [runId]: baseId } })),
});

// ---------------------------------------------------------------- ui

export interface Notice {
  id: number;
  kind: 'info' | 'error';
  text: string;
}

export interface UiSlice {
  /** The panel shown in the main area. */
  panel: string;
  paletteOpen: boolean;
  helpOpen: boolean;
  notices: Notice[];
  /** Load progress of the model being opened (0–1), or null. */
  progress: { label: string; fraction: number } | null;
  gpu: { adapter: string; features: string[]; quantized: boolean | null } | null;
  /** Why the GPU device was lost (null while it works): the app offers a restart, runs are kept. */
  gpuLost: string | null;
  setPanel: (id: string) => void;
  setPaletteOpen: (open: boolean) => void;
  setHelpOpen: (open: boolean) => void;
  notify: (kind: Notice['kind'], text: string) => void;
  dismiss: (id: number) => void;
  setProgress: (p: UiSlice['progress']) => void;
  setGpu: (g: UiSlice['gpu']) => void;
  setGpuLost: (reason: string | null) => void;
}

let noticeId = 0;

const ui: StateCreator<Store, [], [], UiSlice> = (set) => ({
  panel: 'gates',
  paletteOpen: false,
  helpOpen: false,
  notices: [],
  progress: null,
  gpu: null,
  gpuLost: null,
  setPanel: (panel) => set({ panel }),
  setPaletteOpen: (paletteOpen) => set({ paletteOpen }),
  setHelpOpen: (helpOpen) => set({ helpOpen }),
  notify: (kind, text) => set((s) => ({ notices: [...s.notices.slice(-4), { id: ++noticeId, kind, text }] })),
  dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
  setProgress: (progress) => set({ progress }),
  setGpu: (gpu) => set({ gpu }),
  setGpuLost: (gpuLost) => set({ gpuLost }),
});

// ---------------------------------------------------------------- tour and highlight

/**
 * A part of a panel to point at: the panel, a CSS selector inside the app (a ring is drawn around
 * the first match), and the selection it shows. Set by the tour's "Open in …"; any panel may read it.
 */
export interface Highlight {
  panel: string;
  selector: string;
  label: string;
  layer: number;
  head: number;
  token: number | null;
  quantity?: GateQuantity;
  channel?: number;
}

export interface TourSlice {
  /** The guided tour's step (the tour itself is the 'tour' panel). */
  tourStep: number;
  /** A second run whose values the tour shows beside the current run's, or null. */
  tourCompare: string | null;
  highlight: Highlight | null;
  setTourStep: (step: number) => void;
  setTourCompare: (runId: string | null) => void;
  setHighlight: (h: Highlight | null) => void;
  /** Shows h's panel with its layer / head / token (locked) / gate quantity selected, and highlights it. */
  openHighlight: (h: Highlight) => void;
}

const tourSlice: StateCreator<Store, [], [], TourSlice> = (set) => ({
  tourStep: 0,
  tourCompare: null,
  highlight: null,
  setTourStep: (tourStep) => set({ tourStep: Math.max(0, Math.floor(tourStep)) }),
  setTourCompare: (tourCompare) => set({ tourCompare }),
  setHighlight: (highlight) => set({ highlight }),
  openHighlight: (h) =>
    set({
      panel: h.panel,
      layer: h.layer,
      head: h.head,
      highlight: h,
      ...(h.token !== null ? { lockedToken: h.token } : {}),
      ...(h.quantity ? { gateQuantity: h.quantity } : {}),
    }),
});

// ---------------------------------------------------------------- session bundles

/** The view a session bundle saves and restores: what every panel follows. */
export type SessionView = Pick<
  Store,
  'currentRun' | 'compare' | 'sharedScale' | 'hoverToken' | 'lockedToken' | 'layer' | 'head' | 'gateQuantity' | 'scale' | 'tokenMetric' | 'threshold' | 'panel' | 'activeModel' | 'derivedFrom' | 'tourStep' | 'tourCompare'
>;

/** What an opened session bundle puts back (built by renderer/session/bundle.ts restorePlan). */
export interface RestoredSession {
  runs: Run[];
  recorded: RecordedModel[];
  ui: SessionView;
}

export interface SessionSlice {
  /** Adds the session's runs (after the ones already here) and its models, and restores its view in one update. */
  restoreSession: (r: RestoredSession) => void;
}

const session: StateCreator<Store, [], [], SessionSlice> = (set) => ({
  restoreSession: (r) =>
    set((s) => {
      const { activeModel: _active, ...ui } = r.ui;
      void _active;
      const ids = r.runs.map((x) => x.id);
      return {
        ...ui,
        threshold: Math.min(0.5, Math.max(1e-6, ui.threshold)),
        runs: { ...s.runs, ...Object.fromEntries(r.runs.map((x) => [x.id, x])) },
        runOrder: [...s.runOrder.filter((id) => !ids.includes(id)), ...ids],
        currentRun: ui.currentRun ?? ids.at(-1) ?? s.currentRun,
        compare: ui.compare.filter((id) => ids.includes(id)).slice(-MAX_COMPARE),
        recorded: { ...s.recorded, ...Object.fromEntries(r.recorded.map((m) => [m.ref.key, m])) },
        derivedFrom: { ...s.derivedFrom, ...ui.derivedFrom },
      };
    }),
});

// ---------------------------------------------------------------- the store

export type Store = CatalogSlice & RunsSlice & SelectionSlice & CompareSlice & UiSlice & TourSlice & SessionSlice & InterventionsSlice;

export const useStore = create<Store>()((...a) => ({
  ...catalog(...a),
  ...runs(...a),
  ...selection(...a),
  ...compareSlice(...a),
  ...ui(...a),
  ...tourSlice(...a),
  ...session(...a),
  ...interventionsSlice(...a),
}));

/** The current run, or null. */
export function currentRun(s: Store): Run | null {
  return s.currentRun ? (s.runs[s.currentRun] ?? null) : null;
}

/** A model's config: the open model's, else the one a session bundle recorded; undefined when neither. */
export function modelConfig(s: Store, key: string): ModelConfig | undefined {
  return s.loaded[key]?.config ?? s.recorded[key]?.config;
}

/** The current run's model config, or undefined (no run, or its model is neither open nor recorded). */
export function currentConfig(s: Store): ModelConfig | undefined {
  const r = currentRun(s);
  return r ? modelConfig(s, r.model.key) : undefined;
}
