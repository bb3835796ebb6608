// The roofline chart as a pure layout: log–log scales for arithmetic intensity (FLOP/byte) and
// achieved GFLOP/s, the points, the roof min(peak GFLOP/s, intensity · peak GB/s) as an SVG path
// clipped to the plot, and decade ticks. React draws it in SVG; no DOM here.

import { scaleLog } from 'd3';

export interface RooflineInput {
  key: string;
  /** FLOP/byte. */
  intensity: number;
  gflops: number;
}

export interface RooflinePeaks {
  gflops: number;
  gbps: number;
}

export interface PlotBox {
  width: number;
  height: number;
  margin: { top: number; right: number; bottom: number; left: number };
}

export interface AxisTick {
  v: number;
  px: number;
  label: string;
  /** A power of ten (labelled); the others are minor ticks. */
  major: boolean;
}

export interface RooflinePlot {
  /** Drawing area inside the margins. */
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  xTicks: AxisTick[];
  yTicks: AxisTick[];
  points: Array<RooflineInput & { px: number; py: number }>;
  /** Keys that cannot sit on log axes (no FLOPs, no bytes or no time). */
  omitted: string[];
  /** SVG path of the roof, null without peaks. */
  roof: string | null;
  /** Where the two roofs meet (intensity = peak GFLOP/s / peak GB/s). */
  ridge: { intensity: number; px: number; py: number } | null;
  /** Pixel of a data point (for overlays such as the memory roof's label). */
  project(intensity: number, gflops: number): [number, number];
}

const positive = (v: number): boolean => Number.isFinite(v) && v > 0;

/**
 * Decade-aligned domain around the values, at least a tenth of a decade beyond each extreme (so no
 * point sits on the frame) and at least two decades wide; [0.1, 10] when there are none.
 */
export function decadeDomain(values: readonly number[]): [number, number] {
  const v = values.filter(positive);
  if (v.length === 0) return [0.1, 10];
  let lo = 10 ** Math.floor(Math.log10(Math.min(...v)) - 0.1);
  let hi = 10 ** Math.ceil(Math.log10(Math.max(...v)) + 0.1);
  if (hi <= lo) hi = lo * 10;
  if (hi / lo < 100) {
    lo /= 10;
    hi *= 10;
  }
  return [lo, hi];
}

/** 1e-3 → '0.001', 1e4 → '10k', 1e6 → '1M' (SI above 1k, decimals below 1). */
export function formatDecade(v: number): string {
  const e = Math.round(Math.log10(v));
  if (e >= 12) return `${10 ** (e - 12)}T`;
  if (e >= 9) return `${10 ** (e - 9)}G`;
  if (e >= 6) return `${10 ** (e - 6)}M`;
  if (e >= 3) return `${10 ** (e - 3)}k`;
  return e >= 0 ? String(10 ** e) : (10 ** e).toFixed(-e);
}

function logTicks(domain: [number, number], range: [number, number]): AxisTick[] {
  const s = scaleLog().domain(domain).range(range);
  return s.ticks().map((v) => {
    const major = Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9;
    return { v, px: s(v), label: major ? formatDecade(v) : '', major };
  });
}

export function rooflinePlot(inputs: readonly RooflineInput[], peaks: RooflinePeaks | null, box: PlotBox): RooflinePlot {
  const ok = inputs.filter((p) => positive(p.intensity) && positive(p.gflops));
  const omitted = inputs.filter((p) => !ok.includes(p)).map((p) => p.key);
  const havePeaks = peaks !== null && positive(peaks.gflops) && positive(peaks.gbps);
  const ridgeI = havePeaks ? peaks.gflops / peaks.gbps : NaN;
  const xd = decadeDomain([...ok.map((p) => p.intensity), ...(havePeaks ? [ridgeI * 4, ridgeI / 4] : [])]);
  const yd = decadeDomain([...ok.map((p) => p.gflops), ...(havePeaks ? [peaks.gflops * 2] : [])]);
  const x0 = box.margin.left;
  const x1 = box.width - box.margin.right;
  const y0 = box.margin.top;
  const y1 = box.height - box.margin.bottom;
  const xs = scaleLog().domain(xd).range([x0, x1]);
  const ys = scaleLog().domain(yd).range([y1, y0]);
  const project = (i: number, g: number): [number, number] => [xs(i), ys(g)];

  let roof: string | null = null;
  let ridge: RooflinePlot['ridge'] = null;
  if (havePeaks) {
    // Memory roof y = i · bw from where it enters the plot (bottom or left edge) to the ridge,
    // then flat at the compute peak to the right edge.
    const iStart = Math.max(xd[0], yd[0] / peaks.gbps);
    const pts: Array<[number, number]> = [];
    if (iStart < ridgeI) pts.push(project(iStart, iStart * peaks.gbps));
    const rI = Math.min(Math.max(ridgeI, xd[0]), xd[1]);
    pts.push(project(rI, Math.min(peaks.gflops, rI * peaks.gbps)));
    pts.push(project(xd[1], Math.min(peaks.gflops, xd[1] * peaks.gbps)));
    roof = 'M' + pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join('L');
    const [px, py] = project(ridgeI, peaks.gflops);
    ridge = { intensity: ridgeI, px, py };
  }
  return {
    x0,
    x1,
    y0,
    y1,
    xTicks: logTicks(xd, [x0, x1]),
    yTicks: logTicks(yd, [y1, y0]),
    points: ok.map((p) => {
      const [px, py] = project(p.intensity, p.gflops);
      return { ...p, px, py };
    }),
    omitted,
    roof,
    ridge,
    project,
  };
}
