// Feature maps panel: φ(q)/φ(k) distributions, per-token key max and entropy, boundedness.
import type { PanelDef } from '../types.js';
import { FeaturesPanel } from './FeaturesPanel.js';

export const panel: PanelDef = {
  id: 'features',
  title: 'Feature maps',
  description: 'φ(q)/φ(k) distributions, zero share and entropy, per-token key max, boundedness per layer',
  Component: FeaturesPanel,
};
