// The gates panel: heatmaps of g / r / α / log α, layer × token and channel × token (GatesPanel).

import type { PanelDef } from '../types.js';
import { GatesPanel } from './GatesPanel.js';

export const panel: PanelDef = {
  id: 'gates',
  title: 'Gates',
  description: 'Gate heatmaps: g, r, α or log α per layer × token and channel × token, linear or logit scale',
  Component: GatesPanel,
};
