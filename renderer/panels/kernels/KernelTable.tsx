// The per-op kernel table (report.perOp): click a header to sort (again to flip), hover a row to
// highlight its dispatches in the timeline and its point on the roofline.

import type { JSX } from 'react';
import type { Categorical } from '../../viz/categorical.js';
import { S } from './styles.js';
import { nextSort, num, sortRows, type SortDir, type SortKey, type TableRow } from './model.js';

const COLUMNS: Array<{ key: SortKey; label: string; title: string; numeric: boolean }> = [
  { key: 'phase', label: 'phase', title: 'prefill (the prompt) or decode (one token per step)', numeric: false },
  { key: 'op', label: 'op', title: 'the operation the engine dispatched', numeric: false },
  { key: 'kernel', label: 'kernel', title: 'the WGSL kernel that ran it', numeric: false },
  { key: 'count', label: 'count', title: 'dispatches per repeat', numeric: true },
  { key: 'medianUs', label: 'median µs', title: 'median duration of one dispatch', numeric: true },
  { key: 'p10Us', label: 'p10', title: '10th percentile, µs', numeric: true },
  { key: 'p90Us', label: 'p90', title: '90th percentile, µs', numeric: true },
  { key: 'totalUs', label: 'total µs', title: 'count × median: time per repeat', numeric: true },
  { key: 'gflops', label: 'GFLOP/s', title: 'Σ FLOPs / Σ time over all timed dispatches', numeric: true },
  { key: 'gbps', label: 'GB/s', title: 'Σ bytes / Σ time over all timed dispatches', numeric: true },
];

const N = { ...S.td, ...S.num };

export interface KernelTableProps {
  rows: readonly TableRow[];
  sort: { key: SortKey; dir: SortDir };
  onSort: (s: { key: SortKey; dir: SortDir }) => void;
  highlight: string | null;
  /** opKey of the selected dispatch's row. */
  selectedKey: string | null;
  onHover: (key: string | null) => void;
  colors: Categorical;
}

export function KernelTable({ rows, sort, onSort, highlight, selectedKey, onHover, colors }: KernelTableProps): JSX.Element {
  const sorted = sortRows(rows, sort.key, sort.dir);
  return (
    <div style={S.tableBox} onMouseLeave={() => onHover(null)}>
      <table data-testid="kernel-table" style={S.table}>
        <thead>
          <tr>
            {COLUMNS.map((c) => (
              <th
                key={c.key}
                title={c.title}
                style={c.numeric ? { ...S.th, ...S.num } : S.th}
                aria-sort={sort.key === c.key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}
                tabIndex={0}
                onClick={() => onSort(nextSort(sort, c.key))}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    onSort(nextSort(sort, c.key));
                  }
                }}
              >
                {c.label}
                {sort.key === c.key ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sorted.map((r) => (
            <tr key={r.key} style={{ ...(highlight === r.key ? S.rowHot : {}), ...(selectedKey === r.key ? S.rowSelected : {}) }} onMouseEnter={() => onHover(r.key)}>
              <td style={S.td}>{r.phase}</td>
              <td style={S.td}>
                <span style={{ ...S.swatch, background: colors.color(r.op) }} />
                {r.op}
              </td>
              <td className="hint" style={S.td}>{r.kernel}</td>
              <td style={N}>{num(r.count)}</td>
              <td style={N}>{num(r.medianUs)}</td>
              <td style={N}>{num(r.p10Us)}</td>
              <td style={N}>{num(r.p90Us)}</td>
              <td style={N}>{num(r.totalUs)}</td>
              <td style={N}>{num(r.gflops)}</td>
              <td style={N}>{num(r.gbps)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
