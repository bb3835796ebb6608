// viz/heatmap.ts without a DOM: matrixPixels maps each pixel to its nearest cell (up- and
// down-sampling), cellAt inverts it for hit testing.
import { describe, expect, it } from 'vitest';
import { cellAt, matrixPixels } from '../../renderer/viz/heatmap.js';
import { valueScale } from '../../renderer/viz/scales.js';

describe('matrixPixels', () => {
  const scale = valueScale([0, 5]);
  const m = { rows: 2, cols: 3, values: [0, 1, 2, 3, 4, 5] };

  it('up-samples: every pixel takes the colour of the cell it lies in', () => {
    const px = matrixPixels(m, scale, 6, 4);
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 6; x++) expect(px[y * 6 + x], `(${x}, ${y})`).toBe(scale.rgba(m.values[Math.floor(y / 2) * 3 + Math.floor(x / 2)] as number));
    }
  });

  it('down-samples by the cell under each pixel centre, and reuses the out buffer', () => {
    const wide = { rows: 1, cols: 8, values: [0, 1, 2, 3, 4, 5, 4, 3] };
    const out = new Uint32Array(4);
    expect(matrixPixels(wide, scale, 4, 1, out)).toBe(out);
    expect(Array.from(out)).toEqual([1, 3, 5, 7].map((c) => scale.rgba(wide.values[c] as number)));
  });

  it('cellAt maps CSS pixels back to cells and refuses points outside', () => {
    expect(cellAt(m, 0, 0, 300, 100)).toEqual({ row: 0, col: 0 });
    expect(cellAt(m, 299.9, 99.9, 300, 100)).toEqual({ row: 1, col: 2 });
    expect(cellAt(m, 150, 49, 300, 100)).toEqual({ row: 0, col: 1 });
    expect(cellAt(m, -1, 10, 300, 100)).toBeNull();
    expect(cellAt(m, 10, 100, 300, 100)).toBeNull();
  });
});
