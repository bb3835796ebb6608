// The Kernels panel's own styles as style objects (React applies them through the CSSOM, which the
// page's CSP allows), so the panel needs nothing in the shared style.css beyond its base classes.

import type { CSSProperties } from 'react';

export const S = {
  timeline: { position: 'relative', outline: 'none', border: '1px solid var(--line)', borderRadius: 4, background: 'var(--bg)', userSelect: 'none' },
  timelineFocused: { borderColor: 'var(--accent)' },
  legend: { display: 'flex', flexWrap: 'wrap', gap: '4px 12px', margin: '6px 0', font: '11px ui-monospace, monospace', color: 'var(--muted)', alignItems: 'center' },
  swatch: { display: 'inline-block', width: 10, height: 10, borderRadius: 2, marginRight: 5, verticalAlign: '-1px' },
  details: { background: 'var(--panel2)', border: '1px solid var(--line)', borderRadius: 4, padding: '5px 8px', margin: '4px 0 10px', minHeight: 30, fontSize: 12 },
  record: { display: 'flex', flexWrap: 'wrap', gap: '2px 16px', margin: 0, font: '12px ui-monospace, monospace' },
  recordKey: { display: 'inline', color: 'var(--muted)', marginRight: 5 },
  recordValue: { display: 'inline', margin: 0 },
  tableBox: { maxHeight: 340, overflow: 'auto', border: '1px solid var(--line)', borderRadius: 4, marginBottom: 10 },
  table: { width: '100%' },
  th: { position: 'sticky', top: 0, background: 'var(--panel2)', cursor: 'pointer', padding: '3px 8px', whiteSpace: 'nowrap', userSelect: 'none' },
  td: { padding: '1px 8px', whiteSpace: 'nowrap' },
  num: { textAlign: 'right' },
  rowHot: { background: 'rgba(122,162,247,0.18)' },
  rowSelected: { boxShadow: 'inset 2px 0 0 var(--fg)' },
  totals: { fontSize: 12, color: 'var(--fg)' },
  roofLabel: { fill: 'var(--fg)' },
} satisfies Record<string, CSSProperties>;
