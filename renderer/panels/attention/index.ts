// Effective attention panel: the causal matrix A[t, u] of a linear layer's head, and one row of it.
import type { PanelDef } from '../types.js';
import { AttentionPanel } from './AttentionPanel.js';

export const panel: PanelDef = {
  id: 'attention',
  title: 'Effective attention',
  description: 'The effective attention matrix A[t, u] of the selected layer and head, and the focused token’s row',
  Component: AttentionPanel,
};
