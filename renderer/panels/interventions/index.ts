// Interventions panel: edit clamp g / force r / scale a head / swap the feature map / no output norm,
// re-run the current run with them, and see the text diff and per-token Δ log p against the baseline.
import type { PanelDef } from '../types.js';
import { InterventionsPanel } from './InterventionsPanel.js';

export const panel: PanelDef = {
  id: 'interventions',
  title: 'Interventions',
  description: 'Re-run with interventions (clamp g, force r, scale a head, swap the feature map, no output norm): text diff and per-token Δ log p',
  Component: InterventionsPanel,
};
