// Exports of a run: the capture as safetensors (every dumped tensor, named layer.<l>.<point>) plus
// JSON (model, prompt, tokens with their per-token statistics, sampling, the capture records),
// the same layout the CLI's `regla capture` writes.

import { configToJson, writeSafetensors, type ModelConfig } from '../../shaders/index.js';
import type { Run } from '../state/types.js';

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
    maxTokens: run.maxTokens,
    tokens: run.tokens,
    stats: run.stats,
    tensors: tensorInfo,
    records: a.records,
  };
  return {
    json: JSON.stringify(json),
    safetensors: writeSafetensors(tensors, { metadata: { format: 'regla-capture', tokens: String(a.T) } }),
  };
}
