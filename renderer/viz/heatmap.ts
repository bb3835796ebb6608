// Heatmaps on canvas: a [rows, cols] matrix of values drawn one pixel per cell into an ImageData
// (putImageData, then scaled up with smoothing off), so 12 × 2048 × 64 values redraw in a few ms.
// Hit-testing maps pointer positions back to cells. Pure drawing: React owns the canvas element.

import type { ValueScale } from './scales.js';

export interface Matrix {
  rows: number;
  cols: number;
  /** rows × cols, row-major; NaN cells draw grey. */
  values: ArrayLike<number>;
}

/** Fills an ImageData of cols × rows with the scale's colours (one pixel per cell). */
export function matrixImage(m: Matrix, scale: ValueScale): ImageData {
  const img = new ImageData(Math.max(1, m.cols), Math.max(1, m.rows));
  const px = new Uint32Array(img.data.buffer);
  const n = m.rows * m.cols;
  for (let i = 0; i < n; i++) px[i] = scale.rgba(m.values[i] as number);
  return img;
}

/**
 * Packed RGBA of a width × height image of the matrix (nearest cell per pixel): each shown cell's
 * colour is computed once per row, rows repeated down the image are copied, and there is no
 * scaling pass, so the cost is about min(cells, pixels).
 */
export function matrixPixels(m: Matrix, scale: ValueScale, width: number, height: number, out?: Uint32Array): Uint32Array {
  const px = out && out.length === width * height ? out : new Uint32Array(width * height);
  const colOf = new Int32Array(width);
  for (let x = 0; x < width; x++) colOf[x] = Math.min(m.cols - 1, Math.floor(((x + 0.5) * m.cols) / width));
  const rowColors = new Uint32Array(m.cols);
  let lastRow = -1;
  for (let y = 0; y < height; y++) {
    const r = Math.min(m.rows - 1, Math.floor(((y + 0.5) * m.rows) / height));
    const o = y * width;
    if (r === lastRow) {
      px.copyWithin(o, o - width, o);
      continue;
    }
    lastRow = r;
    const base = r * m.cols;
    if (width <= m.cols) {
      // Fewer pixels than cells: colour only the cells that are shown.
      for (let x = 0; x < width; x++) px[o + x] = scale.rgba(m.values[base + (colOf[x] as number)] as number);
      continue;
    }
    for (let c = 0; c < m.cols; c++) rowColors[c] = scale.rgba(m.values[base + c] as number);
    for (let x = 0; x < width; x++) px[o + x] = rowColors[colOf[x] as number] as number;
  }
  return px;
}

/** Draws the matrix into the whole canvas at its pixel size (nearest cell per pixel, no smoothing). */
export function drawHeatmap(canvas: HTMLCanvasElement, m: Matrix, scale: ValueScale): void {
  const g = canvas.getContext('2d');
  if (!g) return;
  const w = canvas.width;
  const h = canvas.height;
  if (m.rows === 0 || m.cols === 0 || w === 0 || h === 0) {
    g.clearRect(0, 0, w, h);
    return;
  }
  const img = g.createImageData(w, h);
  matrixPixels(m, scale, w, h, new Uint32Array(img.data.buffer));
  g.putImageData(img, 0, 0);
}

/** The cell under canvas-relative CSS pixel (x, y) of a canvas drawn at cssWidth × cssHeight. */
export function cellAt(m: Pick<Matrix, 'rows' | 'cols'>, x: number, y: number, cssWidth: number, cssHeight: number): { row: number; col: number } | null {
  if (x < 0 || y < 0 || x >= cssWidth || y >= cssHeight || m.rows === 0 || m.cols === 0) return null;
  return { row: Math.min(m.rows - 1, Math.floor((y / cssHeight) * m.rows)), col: Math.min(m.cols - 1, Math.floor((x / cssWidth) * m.cols)) };
}

/** Column index range [lo, hi) covered by cell column c when cols are drawn into `width` px. */
export function columnSpan(c: number, cols: number, width: number): [number, number] {
  return [(c / cols) * width, ((c + 1) / cols) * width];
}
