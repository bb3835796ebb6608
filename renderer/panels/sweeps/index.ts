// Sweeps: prefill and decode latency of variants over sequence lengths × chunk sizes (streamed,
// cancellable), log–log scaling curves, the linear-vs-softmax crossover length, state vs KV-cache
// memory, CSV export.
import type { PanelDef } from '../types.js';
import { SweepsPanel } from './SweepsPanel.js';

export const panel: PanelDef = {
  id: 'sweeps',
  title: 'Sweeps',
  description: 'Latency sweeps over sequence lengths × chunk sizes: scaling curves, softmax crossover, state vs KV-cache memory, CSV',
  Component: SweepsPanel,
};
