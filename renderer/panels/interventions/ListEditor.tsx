// The list editor: one row per intervention (kind, layer scope or layer/head, min/max, value, scale,
// map), reordered and removed in place, each row's validation message (the engine's own) inline
// under it. Rows live in the store (InterventionRow), so the list survives panel switches.

import type { JSX } from 'react';
import { FEATURE_MAPS, INTERVENTION_KINDS, type InterventionKind, type ModelConfig } from '../../../shaders/index.js';
import type { InterventionRow } from '../../state/store.js';
import { KIND_LABEL, kindUnavailable, moveRow, newRow, nextRowId, removeRow, updateRow, type RowCheck } from './editor.js';

const num = (v: number): number | '' => (Number.isFinite(v) ? v : '');
const parse = (s: string): number => (s.trim() === '' ? NaN : Number(s));

export function ListEditor({ rows, checks, config, selection, onChange, disabled }: { rows: InterventionRow[]; checks: RowCheck[]; config: ModelConfig | undefined; selection: { layer: number; head: number }; onChange: (rows: InterventionRow[]) => void; disabled: boolean }): JSX.Element {
  const add = (kind: InterventionKind): void => onChange([...rows, newRow(nextRowId(rows), kind, config, selection)]);
  return (
    <div className="int-editor" data-testid="int-editor">
      {rows.length === 0 ? (
        <p className="hint" style={{ margin: '2px 0 6px' }}>
          No interventions yet: add one below. They apply in list order to every forward pass of the re-run (generation and analysis).
        </p>
      ) : null}
      {rows.map((row, i) => (
        <Row key={row.id} row={row} index={i} count={rows.length} check={checks[i]} config={config} disabled={disabled} onChange={onChange} rows={rows} />
      ))}
      <div className="panel-controls">
        <label className="inline">
          add
          <select value="" onChange={(e) => e.target.value && add(e.target.value as InterventionKind)} disabled={disabled} data-testid="int-add" aria-label="Add an intervention">
            <option value="">+ intervention…</option>
            {INTERVENTION_KINDS.map((k) => {
              const why = config ? kindUnavailable(config, k) : null;
              return (
                <option key={k} value={k} disabled={why !== null} title={why ?? undefined}>
                  {KIND_LABEL[k]}
                  {why ? ` (${why})` : ''}
                </option>
              );
            })}
          </select>
        </label>
        {rows.length > 0 ? (
          <button type="button" onClick={() => onChange([])} disabled={disabled} data-testid="int-clear">
            Clear list
          </button>
        ) : null}
      </div>
    </div>
  );
}

function Row({ row, index, count, check, config, disabled, onChange, rows }: { row: InterventionRow; index: number; count: number; check: RowCheck | undefined; config: ModelConfig | undefined; disabled: boolean; onChange: (rows: InterventionRow[]) => void; rows: InterventionRow[] }): JSX.Element {
  const set = (patch: Partial<Omit<InterventionRow, 'id'>>): void => onChange(updateRow(rows, row.id, patch));
  const maxLayer = config ? config.numLayers - 1 : undefined;
  const maxHead = config ? config.numHeads - 1 : undefined;
  const scoped = row.kind !== 'scale_head';
  return (
    <div data-testid={`int-row-${index}`} style={{ borderLeft: `2px solid ${check?.error ? 'var(--bad)' : 'var(--line)'}`, paddingLeft: 8, marginBottom: 6 }}>
      <div className="panel-controls" style={{ marginBottom: 2 }}>
        <span>{index + 1}.</span>
        <select value={row.kind} onChange={(e) => set({ kind: e.target.value as InterventionKind })} disabled={disabled} data-testid="int-kind" aria-label="Kind">
          {INTERVENTION_KINDS.map((k) => (
            <option key={k} value={k}>
              {KIND_LABEL[k]}
            </option>
          ))}
        </select>
        {scoped ? (
          <label className="inline">
            layers
            <select value={row.scope} onChange={(e) => set({ scope: e.target.value as 'all' | 'list' })} disabled={disabled} data-testid="int-scope">
              <option value="all">all</option>
              <option value="list">list…</option>
            </select>
            {row.scope === 'list' ? <input type="text" value={row.layers} onChange={(e) => set({ layers: e.target.value })} disabled={disabled} placeholder="0-3, 5" style={{ width: '8em', padding: '2px 4px' }} data-testid="int-layers" aria-label="Layer list" /> : null}
          </label>
        ) : (
          <>
            <label className="inline">
              layer
              <input type="number" min={0} max={maxLayer} step={1} value={num(row.layer)} onChange={(e) => set({ layer: parse(e.target.value) })} disabled={disabled} data-testid="int-layer" />
            </label>
            <label className="inline">
              head
              <input type="number" min={0} max={maxHead} step={1} value={num(row.head)} onChange={(e) => set({ head: parse(e.target.value) })} disabled={disabled} data-testid="int-head" />
            </label>
          </>
        )}
        {row.kind === 'clamp_g' ? (
          <>
            <label className="inline" title="g = σ(a) is clamped into [min, max] (0 ≤ min ≤ max ≤ 1)">
              min
              <input type="number" min={0} max={1} step={0.05} value={num(row.min)} onChange={(e) => set({ min: parse(e.target.value) })} disabled={disabled} data-testid="int-min" />
            </label>
            <label className="inline">
              max
              <input type="number" min={0} max={1} step={0.05} value={num(row.max)} onChange={(e) => set({ max: parse(e.target.value) })} disabled={disabled} data-testid="int-max" />
            </label>
          </>
        ) : null}
        {row.kind === 'force_r' ? (
          <label className="inline" title="r = 0 gives F = g², r = 1 gives F = g(2 − g)">
            r =
            <select value={row.value} onChange={(e) => set({ value: e.target.value === '1' ? 1 : 0 })} disabled={disabled} data-testid="int-value">
              <option value={0}>0</option>
              <option value={1}>1</option>
            </select>
          </label>
        ) : null}
        {row.kind === 'scale_head' ? (
          <label className="inline" title="The head's attention output times this factor (0 zeroes the head)">
            scale ×
            <input type="number" step={0.1} value={num(row.scale)} onChange={(e) => set({ scale: parse(e.target.value) })} disabled={disabled} data-testid="int-scale" />
          </label>
        ) : null}
        {row.kind === 'feature_map' ? (
          <label className="inline">
            map →
            <select value={row.map} onChange={(e) => set({ map: e.target.value as InterventionRow['map'] })} disabled={disabled} data-testid="int-map">
              {FEATURE_MAPS.map((m) => (
                <option key={m} value={m}>
                  {m}
                  {config?.featureMap === m ? ' (the model’s)' : ''}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <span className="spacer" style={{ flex: 1 }} />
        <button type="button" onClick={() => onChange(moveRow(rows, row.id, -1))} disabled={disabled || index === 0} aria-label="Move up" title="Move up (interventions apply in list order)">
          ↑
        </button>
        <button type="button" onClick={() => onChange(moveRow(rows, row.id, 1))} disabled={disabled || index === count - 1} aria-label="Move down" title="Move down">
          ↓
        </button>
        <button type="button" onClick={() => onChange(removeRow(rows, row.id))} disabled={disabled} aria-label="Remove" data-testid="int-remove">
          ×
        </button>
      </div>
      {check?.error ? (
        <div role="alert" data-testid="int-error" style={{ color: 'var(--bad)', fontSize: 12 }}>
          {check.error}
        </div>
      ) : null}
    </div>
  );
}
