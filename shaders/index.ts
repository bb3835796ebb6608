// The engine's one entry point: imported by the renderer, the CLI, benches and tests.

export * from './errors.js';
export * from './gpu/context.js';
export * from './gpu/tensor.js';
export * from './gpu/preprocess.js';
export * from './gpu/timestamps.js';
export * from './cpu/random.js';
export * from './model/config.js';
export * from './model/weights.js';
export * from './model/model.js';
export * from './model/session.js';
export { forward64, cpuState, type CpuState } from './cpu/model.js';
