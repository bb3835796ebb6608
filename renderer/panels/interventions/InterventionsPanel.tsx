// Interventions (TransformerLens's hooks as a UI): edit a list of interventions for the current run's
// model, validated inline by the engine, then "Re-run with interventions": the same prompt, sampling
// (same seed) and max tokens on the same model with the list, as a new run that records them. The
// new run becomes the current one, so every panel shows the intervened model's numbers; the result
// view below compares it with the run it was derived from.

import { useMemo, useState, type JSX } from 'react';
import { useServices } from '../../session/RunnerContext.js';
import { interventionsText, runLabel } from '../../session/interventions.js';
import { describe } from '../../session/runner.js';
import { currentRun, useStore } from '../../state/store.js';
import type { Run } from '../../state/types.js';
import { checkRows, rowsFromInterventions } from './editor.js';
import { ListEditor } from './ListEditor.js';
import { baselineOf, pickIntervened, rerunBase } from './logic.js';
import { Result } from './Result.js';

const busy = (r: Run | undefined | null): boolean => r?.status === 'generating' || r?.status === 'analyzing';

export function InterventionsPanel(): JSX.Element {
  const { runner } = useServices();
  const runs = useStore((s) => s.runs);
  const runOrder = useStore((s) => s.runOrder);
  const derivedFrom = useStore((s) => s.derivedFrom);
  const rows = useStore((s) => s.interventionRows);
  const setRows = useStore((s) => s.setInterventionRows);
  const setDerivedFrom = useStore((s) => s.setDerivedFrom);
  const loaded = useStore((s) => s.loaded);
  const activeModel = useStore((s) => s.activeModel);
  const layer = useStore((s) => s.layer);
  const head = useStore((s) => s.head);
  const notify = useStore((s) => s.notify);
  const gpuLost = useStore((s) => s.gpuLost !== null);
  const current = useStore(currentRun);
  const [chosen, setChosen] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);

  const base = rerunBase(current, runs, derivedFrom);
  const modelKey = base?.model.key ?? activeModel;
  const config = modelKey ? loaded[modelKey]?.config : undefined;
  const modelName = base?.model.name ?? (modelKey ? (loaded[modelKey]?.ref.name ?? modelKey) : null);
  const check = useMemo(() => checkRows(config, rows), [config, rows]);
  const anyBusy = runOrder.some((id) => busy(runs[id]));

  const otherId = pickIntervened(chosen, current?.id ?? null, runOrder, runs, derivedFrom);
  const other = otherId ? runs[otherId] : undefined;
  const pairBase = otherId ? baselineOf(otherId, runs, derivedFrom) : null;
  const derived = runOrder.filter((id) => baselineOf(id, runs, derivedFrom) !== null);

  const why = !runner
    ? 'the GPU is not ready'
    : gpuLost
      ? 'the GPU device was lost'
      : !base
        ? 'generate a run first (the re-run repeats its prompt, sampling and length)'
        : !runner.isOpen(base.model.key)
          ? `${base.model.name} is not open any more`
          : !(base.status === 'done' || base.status === 'cancelled')
            ? `${base.id} is ${base.status}`
            : rows.length === 0
              ? 'add an intervention'
              : check.list === null
                ? 'fix the list first'
                : anyBusy || starting
                  ? 'a run is in progress'
                  : null;

  const rerun = (): void => {
    if (why !== null || !runner || !base || !check.list) return;
    const before = useStore.getState().runOrder.length;
    setStarting(true);
    const pending = runner.generate(base.model.key, base.prompt, { ...base.sampling }, base.maxTokens, check.list);
    // generate() registers its run synchronously (before its first await): link it to its baseline.
    const after = useStore.getState().runOrder;
    const id = after.length > before ? after.at(-1) : undefined;
    if (id) {
      setDerivedFrom(id, base.id);
      setChosen(id);
    }
    pending.catch((e: unknown) => notify('error', `Re-run: ${describe(e)}`)).finally(() => setStarting(false));
  };

  const s = base?.sampling;
  return (
    <section className="interventions-panel" aria-label="Interventions" data-testid="interventions-panel">
      <h2>Interventions{modelName ? ` on ${modelName}` : ''}</h2>
      <p className="hint" style={{ margin: '0 0 8px' }}>
        Edits to every forward pass, as TransformerLens’s hooks: clamp the gate g = σ(a), force ReGLA’s refining gate r to 0 or 1, scale or zero one head’s output, swap a layer’s feature map, skip the
        output norm. The GPU forward and its float64 twin apply them identically; the analysis (every panel) sees the intervened tensors.
      </p>
      <ListEditor rows={rows} checks={check.rows} config={config} selection={{ layer, head }} onChange={setRows} disabled={starting} />
      <div className="panel-controls">
        <button type="button" onClick={rerun} disabled={why !== null} data-testid="int-rerun" title={why ?? 'Generate again from the same prompt with the same sampling (same seed) and length, on the same model, with this list'}>
          Re-run with interventions
        </button>
        {current && current.interventions.length > 0 ? (
          <button type="button" onClick={() => setRows(rowsFromInterventions(current.interventions, config))} disabled={starting} data-testid="int-load" title="Put the current run's interventions into the editor">
            Edit this run’s list
          </button>
        ) : null}
        <span data-testid="int-rerun-note">
          {why !== null
            ? `(${why})`
            : base && s
              ? `${base.id}’s prompt (${base.promptLength} tokens), temperature ${s.temperature}${s.topK !== undefined ? `, top-k ${s.topK}` : ''}${s.topP !== undefined ? `, top-p ${s.topP}` : ''}, seed ${s.seed ?? 0}, ${base.maxTokens} new tokens max, with: ${interventionsText(check.list ?? [])}`
              : ''}
        </span>
      </div>
      {derived.length > 1 ? (
        <div className="panel-controls">
          <label className="inline">
            re-run shown
            <select value={otherId ?? ''} onChange={(e) => setChosen(e.target.value || null)} data-testid="int-pair">
              {derived.map((id) => {
                const r = runs[id] as Run;
                return (
                  <option key={id} value={id}>
                    {id} · {runLabel(r)} (from {derivedFrom[id]})
                  </option>
                );
              })}
            </select>
          </label>
        </div>
      ) : null}
      {other && pairBase ? (
        <Result base={pairBase} other={other} />
      ) : (
        <p className="hint" data-testid="int-no-result">
          After a re-run, its text diff against the baseline and the per-token change in log-probability show here.
        </p>
      )}
    </section>
  );
}
