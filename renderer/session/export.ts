// Exports of a run: the capture as safetensors (every dumped tensor, named layer.<l>.<point>) plus
// JSON (model, prompt, tokens with their per-token statistics, sampling, interventions, the capture
// records), the same layout the CLI's `regla capture` writes; and the run's part of a Chrome trace's
// metadata. A run's interventions (kind, parameters, text) are in both, and in the safetensors header.

import { configToJson, writeSafetensors, type ModelConfig, type TraceMeta } from '../../shaders/index.js';
import type { Run } from '../state/types.js';
import { interventionRecords } from './interventions.js';

export interface CaptureFiles {
  json: string;
  safetensors: Uint8Array;
}

export function captureFiles(run: Run, config: ModelConfig): CaptureFiles {
  const a = run.analysis;
  if (!a) throw new Error('this run has no analysis yet (generation or analysis still running)');
  const tensors: Array<[string, { shape: number[]; data: Float32Array }]> = [];
  const tensorInfo: Array<{ name: string; shape: number[]; tokens: { lo: number; hi: number } }> = [];
  for (const d of a.dumps.values()) {
    const name = `layer.${d.layer}.${d.point}`;
    const shape = [d.rows, ...d.rowShape];
    tensors.push([name, { shape, data: d.data }]);
    tensorInfo.push({ name, shape, tokens: { lo: d.pos0, hi: d.pos0 + d.rows } });
  }
  const json = {
    format: 'regla-capture',
    model: { name: run.model.name, kind: run.model.kind, modelType: config.modelType, numLayers: config.numLayers, config: configToJson(config) },
    prompt: { text: run.prompt, tokens: run.tokens.slice(0, run.promptLength).map((t) => t.id) },
    sampling: run.sampling,
    interventions: interventionRecords(run.interventions),
    maxTokens: run.maxTokens,
    tokens: run.tokens,
    stats: run.stats,
    tensors: tensorInfo,
    records: a.records,
  };
  return {
    json: JSON.stringify(json),
    safetensors: writeSafetensors(tensors, { metadata: { format: 'regla-capture', tokens: String(a.T), interventions: JSON.stringify(interventionRecords(run.interventions)) } }),
  };
}

/** Trace metadata (toChromeTrace's otherData) for a run's profile: `meta` plus the run id and its interventions. */
export function runTraceMeta(run: Run, meta: TraceMeta = {}): TraceMeta {
  return { ...meta, runId: run.id, model: run.model.name, interventions: interventionRecords(run.interventions) };
}
