// The guided tour: one layer of the current run, step by step, with the model's own numbers (TourPanel).

import type { PanelDef } from '../types.js';
import { TourPanel } from './TourPanel.js';

export const panel: PanelDef = {
  id: 'tour',
  title: 'Tour',
  description: 'A guided walk through one ReGLA layer on your prompt: equations, live values, the same step for another variant (T)',
  Component: TourPanel,
};
