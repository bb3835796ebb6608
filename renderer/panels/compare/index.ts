// Compare panel: 2–4 variants on the same prompt side by side (gate heatmaps and diffs, per-token
// log p and approximate KL, kernel time deltas), following the shared token / layer / head selection.
import type { PanelDef } from '../types.js';
import { ComparePanel } from './ComparePanel.js';

export const panel: PanelDef = {
  id: 'compare',
  title: 'Compare',
  description: 'Compare 2–4 variants on one prompt: gate heatmaps and diffs, log p and KL, kernel time deltas',
  Component: ComparePanel,
};
