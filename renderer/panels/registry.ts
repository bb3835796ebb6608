// Every tabbed panel, in tab order (digits 1–9 select the first nine; T the tour). The prompt & output panel is not a
// tab: it is always beside them.

import { panel as attention } from './attention/index.js';
import { panel as compare } from './compare/index.js';
import { panel as features } from './features/index.js';
import { panel as gates } from './gates/index.js';
import { panel as interventions } from './interventions/index.js';
import { panel as kernels } from './kernels/index.js';
import { panel as saturation } from './saturation/index.js';
import { panel as state } from './state/index.js';
import { panel as sweeps } from './sweeps/index.js';
import { panel as tour } from './tour/index.js';
import { panel as training } from './training/index.js';
import type { PanelDef } from './types.js';

export const PANELS: readonly PanelDef[] = [gates, saturation, features, state, attention, kernels, sweeps, compare, training, interventions, tour];

export function panelById(id: string): PanelDef | undefined {
  return PANELS.find((p) => p.id === id);
}
