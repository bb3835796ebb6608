// The dispatch timeline: one measured repeat on a canvas (only visible rects, sub-pixel ones merged),
// rows per phase or per phase × layer, a time axis in SVG. Perfetto's navigation while it has
// focus: W/S zoom about the pointer, A/D pan (held keys animate), F fits the selection (or all),
// wheel zooms, drag pans, click selects. The focused token's decode step is shaded; the op hovered
// in the table or roofline is highlighted and the rest dimmed.

import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type JSX, type KeyboardEvent, type MouseEvent } from 'react';
import type { ProfileRecord, ProfileReport } from '../../../shaders/index.js';
import { OTHER_COLOR, TOL_LIGHT } from '../../viz/categorical.js';
import {
  clampWindow,
  fitWindow,
  formatDuration,
  hitTest,
  indexTimeline,
  layoutRects,
  panBy,
  timeAt,
  timeTicks,
  visibleRange,
  zoomAt,
  type Rect,
  type RowGeometry,
  type TimeWindow,
} from '../../viz/timeline.js';
import { opKey, type TimelineData } from './model.js';
import { S } from './styles.js';
import { useWidth } from '../../ui/useWidth.js';

const LABEL_W = 86;
const ROW_H = 18;
const TOP = 4;
const AXIS_H = 22;
const CPU_COLOR = '#77AADD';
/** Held W/S: span × e^(∓rate·s); held A/D: span fraction per second. */
const ZOOM_RATE = 3;
const PAN_RATE = 1.2;

export interface TimelineProps {
  report: ProfileReport;
  data: TimelineData;
  /** Record ids (indices into report.records) → colour slot comes with the items. */
  selected: number | null;
  onSelect: (id: number | null) => void;
  /** opKey of the op to highlight (table / roofline hover). */
  highlight: string | null;
  focusToken: number | null;
  /** Called with a decode dispatch's sequence position under the pointer (null when none). */
  onHoverToken: (pos: number | null) => void;
}

function colorOf(cat: number): string {
  return cat >= 0 ? (TOL_LIGHT[cat] ?? OTHER_COLOR) : cat === -2 ? CPU_COLOR : OTHER_COLOR;
}

function labelOf(report: ProfileReport, id: number): string {
  if (id >= 0) return report.records[id]?.op ?? '';
  const s = report.spans[-1 - id];
  return s ? (s.phase === 'prefill' ? `prefill ${report.promptTokens} tokens` : `decode @${s.token}`) : '';
}

export function Timeline({ report, data, selected, onSelect, highlight, focusToken, onHoverToken }: TimelineProps): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const width = useWidth(box, 900);
  const drawW = Math.max(50, width - LABEL_W);
  const index = useMemo(() => indexTimeline(data.items, data.rowLabels.length), [data]);
  const extent = useMemo<TimeWindow>(() => ({ t0: index.t0, t1: index.t1 > index.t0 ? index.t1 : index.t0 + 1000 }), [index]);
  const limits = useMemo(() => ({ minSpan: 200, maxSpan: (extent.t1 - extent.t0) * 1.1 }), [extent]);
  const [win, setWin] = useState<TimeWindow>(() => fitWindow(extent.t0, extent.t1, 0.01));
  const winRef = useRef(win);
  winRef.current = win;
  const [focused, setFocused] = useState(false);
  const [hover, setHover] = useState<{ rect: Rect; x: number; y: number } | null>(null);
  const pointerX = useRef<number | null>(null);
  const keys = useRef(new Set<string>());
  const raf = useRef(0);
  const drag = useRef<{ x: number; win: TimeWindow; moved: boolean } | null>(null);
  const rows = data.rowLabels.length;
  const geom: RowGeometry = useMemo(() => ({ top: TOP, rowHeight: ROW_H, rows }), [rows]);
  const height = TOP + rows * ROW_H + 4;

  // A new report / repeat / row mode: show everything.
  useEffect(() => setWin(fitWindow(extent.t0, extent.t1, 0.01)), [extent]);

  const apply = useCallback((f: (w: TimeWindow) => TimeWindow) => setWin((w) => clampWindow(f(w), extent, 0.02)), [extent]);

  const rects = useMemo(() => layoutRects(index, win, drawW), [index, win, drawW]);

  /** Time span of the focused token's step (decode token, or the prefill when it is a prompt token). */
  const focusSpan = useMemo<TimeWindow | null>(() => {
    if (focusToken === null) return null;
    const prefill = focusToken < report.promptTokens;
    let t0 = Infinity;
    let t1 = -Infinity;
    for (const it of index.items) {
      const phase = it.id >= 0 ? report.records[it.id]?.phase : report.spans[-1 - it.id]?.phase;
      const token = it.id >= 0 ? report.records[it.id]?.token : report.spans[-1 - it.id]?.token;
      if (prefill ? phase === 'prefill' : phase === 'decode' && token === focusToken) {
        t0 = Math.min(t0, it.start);
        t1 = Math.max(t1, it.end);
      }
    }
    return t0 <= t1 ? { t0, t1 } : null;
  }, [focusToken, index, report]);

  // ---------------------------------------------------------------- drawing
  useLayoutEffect(() => {
    const c = canvas.current;
    const g = c?.getContext('2d');
    if (!c || !g) return;
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(width * dpr) || c.height !== Math.round(height * dpr)) {
      c.width = Math.round(width * dpr);
      c.height = Math.round(height * dpr);
    }
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, height);
    const span = win.t1 - win.t0;
    const px = (t: number): number => LABEL_W + ((t - win.t0) / span) * drawW;
    // Row bands and labels.
    g.font = '11px ui-monospace, monospace';
    g.textBaseline = 'middle';
    for (let r = 0; r < rows; r++) {
      const y = TOP + r * ROW_H;
      if (r % 2 === 1) {
        g.fillStyle = 'rgba(255,255,255,0.025)';
        g.fillRect(LABEL_W, y, drawW, ROW_H);
      }
      g.fillStyle = '#8b93a3';
      g.fillText(data.rowLabels[r] ?? '', 4, y + ROW_H / 2);
    }
    const decodeRow = data.phaseStart.decode;
    if (decodeRow !== undefined && decodeRow > 0) {
      g.fillStyle = '#2a303c';
      g.fillRect(0, TOP + decodeRow * ROW_H - 0.5, width, 1);
    }
    g.save();
    g.beginPath();
    g.rect(LABEL_W, 0, drawW, height);
    g.clip();
    if (focusSpan && focusSpan.t1 >= win.t0 && focusSpan.t0 <= win.t1) {
      const x0 = px(focusSpan.t0);
      const w = Math.max(2, px(focusSpan.t1) - x0);
      g.fillStyle = 'rgba(122,162,247,0.16)';
      g.fillRect(x0, 0, w, height);
      g.strokeStyle = 'rgba(122,162,247,0.8)';
      g.strokeRect(x0 + 0.5, 0.5, w - 1, height - 1);
    }
    const match = highlight ? (id: number): boolean => id >= 0 && opKey(report.records[id] as ProfileRecord) === highlight : null;
    g.globalAlpha = match ? 0.25 : 1;
    for (const r of rects) {
      const y = TOP + r.row * ROW_H + 2;
      g.fillStyle = colorOf(r.cat);
      g.fillRect(LABEL_W + r.x, y, r.w, ROW_H - 4);
    }
    g.globalAlpha = 1;
    if (match) {
      // The highlighted op's dispatches drawn individually on top (≥ 1.5 px so each one shows).
      const [a, b] = visibleRange(index, win);
      for (let i = a; i < b; i++) {
        const it = index.items[i];
        if (!it || !match(it.id)) continue;
        const x0 = px(it.start);
        g.fillStyle = colorOf(it.cat);
        g.fillRect(x0, TOP + it.row * ROW_H + 1, Math.max(1.5, px(it.end) - x0), ROW_H - 2);
      }
    }
    // Labels inside rects wide enough to hold them.
    g.fillStyle = '#111';
    for (const r of rects) {
      if (r.w < 28 || r.count > 1) continue;
      const text = labelOf(report, r.id);
      const x0 = Math.max(LABEL_W + r.x, LABEL_W) + 3;
      const room = Math.min(LABEL_W + r.x + r.w, LABEL_W + drawW) - x0 - 2;
      if (room < 12) continue;
      let t = text;
      while (t.length > 1 && g.measureText(t).width > room) t = t.slice(0, -1);
      if (t.length < text.length) t = t.length > 2 ? `${t.slice(0, -1)}…` : '';
      if (t) g.fillText(t, x0, TOP + r.row * ROW_H + ROW_H / 2);
    }
    const sel = selected !== null ? index.items.find((it) => it.id === selected) : undefined;
    if (sel) {
      const x0 = px(sel.start);
      g.strokeStyle = '#ffffff';
      g.lineWidth = 2;
      g.strokeRect(x0 - 1, TOP + sel.row * ROW_H + 1, Math.max(2, px(sel.end) - x0) + 2, ROW_H - 2);
      g.lineWidth = 1;
    }
    g.restore();
  }, [rects, width, height, drawW, win, rows, data, report, highlight, selected, index, focusSpan]);

  // ---------------------------------------------------------------- keys (only while focused)
  const fit = useCallback(() => {
    const sel = selected !== null ? index.items.find((it) => it.id === selected) : undefined;
    setWin(sel ? clampWindow(fitWindow(sel.start, sel.end, 0.4, limits.minSpan), extent, 0.02) : fitWindow(extent.t0, extent.t1, 0.01));
  }, [selected, index, extent, limits]);

  const tick = useCallback(
    (last: number) => (now: number) => {
      const dt = Math.min(0.05, (now - last) / 1000);
      const k = keys.current;
      if (k.size === 0) {
        raf.current = 0;
        return;
      }
      apply((w) => {
        let n = w;
        const at = pointerX.current !== null ? timeAt(n, drawW, pointerX.current) : (n.t0 + n.t1) / 2;
        if (k.has('w')) n = zoomAt(n, Math.exp(-ZOOM_RATE * dt), at, limits);
        if (k.has('s')) n = zoomAt(n, Math.exp(ZOOM_RATE * dt), at, limits);
        if (k.has('a')) n = panBy(n, -PAN_RATE * dt);
        if (k.has('d')) n = panBy(n, PAN_RATE * dt);
        return n;
      });
      raf.current = requestAnimationFrame(tick(now));
    },
    [apply, drawW, limits],
  );

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const key = e.key.toLowerCase();
    if (key === 'w' || key === 's' || key === 'a' || key === 'd') {
      e.preventDefault();
      e.stopPropagation();
      keys.current.add(key);
      if (!raf.current) {
        // One immediate step, then animate while held.
        const t = performance.now();
        raf.current = requestAnimationFrame(tick(t - 16));
      }
    } else if (key === 'f') {
      e.preventDefault();
      e.stopPropagation();
      fit();
    } else if (key === 'escape' && selected !== null) {
      onSelect(null);
    }
  };
  const onKeyUp = (e: KeyboardEvent<HTMLDivElement>): void => {
    keys.current.delete(e.key.toLowerCase());
  };
  useEffect(() => () => cancelAnimationFrame(raf.current), []);

  // ---------------------------------------------------------------- wheel (non-passive, so the page does not scroll)
  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    const onWheel = (e: WheelEvent): void => {
      e.preventDefault();
      const x = e.offsetX - LABEL_W;
      const dx = e.shiftKey ? e.deltaY : e.deltaX;
      const dy = e.shiftKey ? 0 : e.deltaY;
      const scale = e.deltaMode === 1 ? 16 : 1;
      apply((w) => {
        let n = w;
        if (dy) n = zoomAt(n, Math.exp(dy * scale * 0.0015), timeAt(n, drawW, Math.max(0, Math.min(drawW, x))), limits);
        if (dx) n = panBy(n, (dx * scale) / drawW);
        return n;
      });
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [apply, drawW, limits]);

  // ---------------------------------------------------------------- pointer
  const local = (e: MouseEvent): { x: number; y: number } => {
    const r = (e.currentTarget as HTMLElement).getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  const pick = (x: number, y: number): Rect | null => (x < LABEL_W ? null : hitTest(rects, geom, x - LABEL_W, y));
  const hoverToken = (r: Rect | null): void => {
    const rec = r && r.id >= 0 ? report.records[r.id] : undefined;
    const span = r && r.id < 0 ? report.spans[-1 - r.id] : undefined;
    const phase = rec?.phase ?? span?.phase;
    const token = rec?.token ?? span?.token;
    onHoverToken(phase === 'decode' && token !== undefined ? token : null);
  };
  const onMouseMove = (e: MouseEvent<HTMLCanvasElement>): void => {
    const { x, y } = local(e);
    pointerX.current = x >= LABEL_W ? x - LABEL_W : null;
    const d = drag.current;
    if (d) {
      if (Math.abs(e.clientX - d.x) > 3) d.moved = true;
      if (d.moved) {
        setWin(clampWindow(panBy(d.win, -(e.clientX - d.x) / drawW), extent, 0.02));
        return;
      }
    }
    const r = pick(x, y);
    setHover(r ? { rect: r, x, y } : null);
    hoverToken(r);
  };
  const onMouseDown = (e: MouseEvent<HTMLCanvasElement>): void => {
    if (e.button !== 0) return;
    drag.current = { x: e.clientX, win: winRef.current, moved: false };
  };
  const onMouseUp = (e: MouseEvent<HTMLCanvasElement>): void => {
    const d = drag.current;
    drag.current = null;
    if (!d || d.moved) return;
    const { x, y } = local(e);
    const r = pick(x, y);
    onSelect(r ? r.id : null);
  };
  const onMouseLeave = (): void => {
    pointerX.current = null;
    drag.current = null;
    setHover(null);
    onHoverToken(null);
  };

  const axis = useMemo(() => timeTicks(win, drawW), [win, drawW]);
  const hoverRec = hover && hover.rect.id >= 0 ? report.records[hover.rect.id] : undefined;
  const hoverSpan = hover && hover.rect.id < 0 ? report.spans[-1 - hover.rect.id] : undefined;

  return (
    <div
      ref={box}
      style={focused ? { ...S.timeline, ...S.timelineFocused } : S.timeline}
      tabIndex={0}
      onKeyDown={onKeyDown}
      onKeyUp={onKeyUp}
      onFocus={() => setFocused(true)}
      onBlur={() => {
        keys.current.clear();
        setFocused(false);
      }}
      aria-label="Dispatch timeline: W/S zoom, A/D pan, F fit, click to select"
      data-testid="kernel-timeline"
    >
      <svg width={width} height={AXIS_H} aria-hidden="true" style={{ display: 'block' }}>
        <text x={4} y={13}>
          {axis.unit}
        </text>
        <line x1={LABEL_W} x2={width} y1={AXIS_H - 0.5} y2={AXIS_H - 0.5} stroke="#2a303c" />
        {axis.ticks.map((t) => (
          <g key={t.t} transform={`translate(${LABEL_W + t.x},0)`}>
            <line y1={AXIS_H - 6} y2={AXIS_H} stroke="#8b93a3" />
            <text y={11} textAnchor={t.x < 10 ? 'start' : 'middle'}>
              {t.label}
            </text>
          </g>
        ))}
      </svg>
      <canvas
        ref={canvas}
        style={{ width, height, display: 'block' }}
        onMouseMove={onMouseMove}
        onMouseDown={onMouseDown}
        onMouseUp={onMouseUp}
        onMouseLeave={onMouseLeave}
      />
      {hover && (
        <div className="chart-tip" style={{ left: Math.min(hover.x + 12, width - 260), top: AXIS_H + hover.y + 14 }}>
          {hoverRec ? (
            <>
              <b>{hoverRec.op}</b> <span className="hint">{hoverRec.kernel}</span>
              <br />
              {hoverRec.phase} {hoverRec.phase === 'decode' ? `@${hoverRec.token}` : ''} {hoverRec.layer !== null ? `L${hoverRec.layer}` : ''} ·{' '}
              {formatDuration(hoverRec.endNs - hoverRec.startNs)}
              {hover.rect.count > 1 ? <span className="hint"> (+{hover.rect.count - 1} more at this zoom)</span> : null}
            </>
          ) : hoverSpan ? (
            <>
              <b>{labelOf(report, hover.rect.id)}</b> (CPU wall time) · {formatDuration((hoverSpan.endMs - hoverSpan.startMs) * 1e6)}
            </>
          ) : null}
        </div>
      )}
    </div>
  );
}
