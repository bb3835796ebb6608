// Kernel time deltas between the compared runs: per-op median µs per dispatch from each run's
// profile (runner.profile, "Profile all"), and the difference to run 0; totals first.

import { useState, type JSX } from 'react';
import { runLabel } from '../../session/interventions.js';
import type { Run } from '../../state/types.js';
import { runColor } from '../../viz/compare.js';
import { formatDelta, opDeltas } from './logic.js';

/** Slower / faster than run 0: orange / blue (Okabe–Ito; the sign is in the text too). */
const SLOWER = '#e69f00';
const FASTER = '#56b4e9';

const us = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '—');

export function KernelDeltas({ runs }: { runs: Run[] }): JSX.Element {
  const profiles = runs.map((r) => r.profile);
  const rows = opDeltas(profiles);
  const [all, setAll] = useState(false);
  const have = profiles.filter((p) => p !== null).length;
  const timed = profiles.some((p) => p?.precision.timestamps);
  const shown = all ? rows : rows.slice(0, 24);
  const base = profiles[0];
  return (
    <section className="cmp-kernels" data-testid="cmp-kernels">
      <h2>Kernel time deltas</h2>
      {have === 0 ? (
        <p className="hint">No profiles yet: “Profile all” times each compared run’s prompt (prefill) and a few decode steps, op by op, and lists each op’s median time per run and its difference to run 0.</p>
      ) : (
        <>
          {have < runs.length ? <p className="hint">Profiled {have} of {runs.length} runs; the others show —.</p> : null}
          {!timed ? <p className="hint">This adapter gives no per-dispatch GPU timestamps: per-op times are unknown (—); the totals are CPU wall times.</p> : null}
          {profiles.some((p) => p?.precision.quantized) ? <p className="hint">Timestamps are quantized (≈{us((profiles.find((p) => p?.precision.quantized)?.precision.quantumNs ?? NaN) / 1000)} µs grid): small deltas are noise.</p> : null}
          <p className="hint" style={{ margin: '2px 0' }}>
            Median µs per dispatch over 3 repeats; Δ against run 0 (<span style={{ color: SLOWER }}>slower</span>, <span style={{ color: FASTER }}>faster</span>). Ops a variant lacks show —.
          </p>
          <table data-testid="cmp-kernel-table" style={{ whiteSpace: 'nowrap' }}>
            <thead>
              <tr>
                <th>phase</th>
                <th>op</th>
                <th>kernel</th>
                {runs.map((r, i) => (
                  <th key={r.id} style={{ color: runColor(i) }}>
                    {runLabel(r)} {i === 0 ? 'µs' : 'µs (Δ vs run 0)'}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              <tr>
                <td>prefill</td>
                <td colSpan={2}>total ({base?.totals.source ?? '—'}), ms</td>
                {profiles.map((p, i) => {
                  const v = p?.totals.prefillMs ?? NaN;
                  const b = base?.totals.prefillMs ?? NaN;
                  return <td key={i}>{Number.isFinite(v) ? v.toFixed(3) : '—'}{i > 0 && Number.isFinite(v - b) ? ` ${formatDelta(v - b, v / b - 1, 'ms')}` : ''}</td>;
                })}
              </tr>
              <tr>
                <td>decode</td>
                <td colSpan={2}>total per token ({base?.totals.source ?? '—'}), ms</td>
                {profiles.map((p, i) => {
                  const v = p?.totals.decodeMsPerToken ?? NaN;
                  const b = base?.totals.decodeMsPerToken ?? NaN;
                  return <td key={i}>{Number.isFinite(v) ? v.toFixed(3) : '—'}{i > 0 && Number.isFinite(v - b) ? ` ${formatDelta(v - b, v / b - 1, 'ms')}` : ''}</td>;
                })}
              </tr>
              {shown.map((r) => (
                <tr key={r.key}>
                  <td>{r.phase}</td>
                  <td>{r.op}</td>
                  <td>{r.kernel}</td>
                  {r.us.map((v, i) => (
                    <td key={i} style={i > 0 && Number.isFinite(r.delta[i]) ? { color: (r.delta[i] as number) > 0 ? SLOWER : FASTER } : undefined}>
                      {us(v)}
                      {i > 0 && Number.isFinite(r.delta[i]) ? ` ${formatDelta(r.delta[i] ?? NaN, r.rel[i] ?? NaN)}` : ''}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          {rows.length > 24 ? (
            <button type="button" onClick={() => setAll(!all)}>
              {all ? 'Show the slowest 24' : `Show all ${rows.length} ops`}
            </button>
          ) : null}
        </>
      )}
    </section>
  );
}
