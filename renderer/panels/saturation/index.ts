// The saturation panel: per-layer gate histograms (runs overlaid when comparing), the threshold,
// % saturated, and the gradient-at-saturation plot (SaturationPanel).

import type { PanelDef } from '../types.js';
import { SaturationPanel } from './SaturationPanel.js';

export const panel: PanelDef = {
  id: 'saturation',
  title: 'Saturation',
  description: 'Gate saturation: per-layer histograms of α and g, % saturated at a threshold, gradient at saturation',
  Component: SaturationPanel,
};
