// Restoring the window where it was, without Electron: saved bounds are kept on the display they
// overlap most, shrunk to fit its work area and moved inside it; bounds on no display (a monitor
// since unplugged) give a window of the saved size centred on the primary display.

import type { WindowState } from '../ipc/contract.js';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Restored {
  /** Absent: let the OS place (centre) the window. */
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

function overlap(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

const clamp = (v: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, v));

/**
 * Where to open the window. `workAreas` lists the displays' work areas, the primary first;
 * `defaults` gives the size without saved state and the minimum size.
 */
export function restoreBounds(
  saved: WindowState | null,
  workAreas: readonly Rect[],
  defaults: { width: number; height: number; minWidth: number; minHeight: number },
): Restored {
  const primary = workAreas[0];
  if (!saved) {
    const width = primary ? Math.min(defaults.width, primary.width) : defaults.width;
    const height = primary ? Math.min(defaults.height, primary.height) : defaults.height;
    return { width, height, maximized: false };
  }
  let best: Rect | undefined;
  let bestArea = 0;
  for (const a of workAreas) {
    const o = overlap(saved, a);
    if (o > bestArea) [best, bestArea] = [a, o];
  }
  const area = best ?? primary;
  if (!area) return { width: saved.width, height: saved.height, maximized: saved.maximized };
  const width = clamp(saved.width, Math.min(defaults.minWidth, area.width), area.width);
  const height = clamp(saved.height, Math.min(defaults.minHeight, area.height), area.height);
  if (!best) {
    // Visible nowhere: centre it on the primary display.
    return {
      x: Math.round(area.x + (area.width - width) / 2),
      y: Math.round(area.y + (area.height - height) / 2),
      width,
      height,
      maximized: saved.maximized,
    };
  }
  return {
    x: clamp(saved.x, area.x, area.x + area.width - width),
    y: clamp(saved.y, area.y, area.y + area.height - height),
    width,
    height,
    maximized: saved.maximized,
  };
}
