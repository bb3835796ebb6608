// Kernels: per-op GPU profile of the current run — dispatch timeline (W/S/A/D/F), sortable kernel
// table, roofline under measured device peaks, timing-precision badge, Chrome trace / CSV export.

import type { PanelDef } from '../types.js';
import { KernelsPanel } from './KernelsPanel.js';

export const panel: PanelDef = {
  id: 'kernels',
  title: 'Kernels',
  description: 'Per-op GPU profile: dispatch timeline, kernel table, roofline, trace export',
  Component: KernelsPanel,
};
