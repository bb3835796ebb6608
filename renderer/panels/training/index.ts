// Training panel: loss curves and gate saturation over training steps from the bundled samples'
// training logs.
import type { PanelDef } from '../types.js';
import { TrainingPanel } from './TrainingPanel.js';

export const panel: PanelDef = {
  id: 'training',
  title: 'Training',
  description: 'Loss curves and gate saturation over training (ridgeline) from the samples’ training logs',
  Component: TrainingPanel,
};
