// State panel: ‖S_t‖ per kv head, ‖o_t‖ before/after the output norm, memory length per channel.
import type { PanelDef } from '../types.js';
import { StatePanel } from './StatePanel.js';

export const panel: PanelDef = {
  id: 'state',
  title: 'State',
  description: '‖S_t‖ per kv head over tokens, ‖o_t‖ before and after the output norm, effective memory length per channel',
  Component: StatePanel,
};
