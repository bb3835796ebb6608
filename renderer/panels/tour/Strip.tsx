// A row of coloured cells, one per channel (or token), with the number under the pointer read out
// and the selected cell ringed. Divs, not canvas: at most a few hundred cells, and each carries its
// exact value (data-v) for the readout and the end-to-end test.

import { useMemo, useRef, useState, type JSX } from 'react';
import { useWidth } from '../../ui/useWidth.js';
import { finiteExtent, symmetric, valueScale } from '../../viz/scales.js';
import { fmt, type Strip as StripData } from './values.js';

const PROV_TITLE: Record<StripData['prov'], string> = {
  captured: 'captured by the analysis prefill',
  derived: 'computed here from captured values',
  analytic: 'from the model config',
  measured: 'measured',
};

export function ProvChip({ prov }: { prov: StripData['prov'] }): JSX.Element {
  return (
    <span className={`tour-prov ${prov}`} title={PROV_TITLE[prov]}>
      {prov}
    </span>
  );
}

export function Strip({ s, label, onPick }: { s: StripData; label?: (i: number) => string; onPick?: (i: number) => void }): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box, 400);
  const [hover, setHover] = useState<number | null>(null);
  const scale = useMemo(() => {
    const ext = finiteExtent(s.values);
    return s.signed ? valueScale(symmetric(ext), { map: 'diverging' }) : valueScale(ext[0] === ext[1] ? [ext[0] - 1e-9, ext[1] + 1e-9] : ext, { map: 'viridis' });
  }, [s.values, s.signed]);
  const n = s.values.length;
  const cell = Math.max(3, Math.min(22, Math.floor(width / Math.max(1, n))));
  const name = (i: number): string => (label ? label(i) : s.axis === 'token' ? `#${s.x0 + i}` : `c${s.x0 + i}`);
  const shown = hover ?? s.mark;
  const [lo, hi] = scale.domain;
  return (
    <div className="tour-strip" data-testid={`tour-strip-${s.id}`} data-point={s.point ?? ''} data-source={s.source} data-prov={s.prov}>
      <div className="tour-strip-head">
        <span className="tour-strip-label">{s.label}</span>
        <ProvChip prov={s.prov} />
        <span className="tour-strip-src" title={s.source}>
          {s.source}
        </span>
      </div>
      <div ref={box} className="tour-cells" onMouseLeave={() => setHover(null)}>
        {s.values.map((v, i) => (
          <div
            key={i}
            className={`tour-cell${i === s.mark ? ' mark' : ''}`}
            style={{ width: cell, background: scale.color(v) }}
            data-i={s.x0 + i}
            data-v={String(v)}
            onMouseEnter={() => setHover(i)}
            onClick={onPick ? () => onPick(i) : undefined}
          />
        ))}
      </div>
      <div className="tour-strip-foot" style={{ width: Math.max(cell * n, 340) }}>
        <span className="tour-readout" data-testid={`tour-readout-${s.id}`}>
          {shown !== null && shown < n ? `${name(shown)} = ${fmt(s.values[shown] as number)}${hover === null ? ' (selected)' : ''}` : `${n} ${s.axis === 'token' ? 'tokens' : 'channels'}`}
        </span>
        <span className="tour-legend" title="colour scale">
          {fmt(lo)}
          <span className="tour-ramp" style={{ background: `linear-gradient(to right, ${[0, 0.25, 0.5, 0.75, 1].map((t) => scale.color(lo + t * (hi - lo))).join(', ')})` }} />
          {fmt(hi)}
        </span>
      </div>
    </div>
  );
}
