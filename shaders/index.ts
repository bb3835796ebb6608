// The engine's one entry point: imported by the renderer, the CLI, benches and tests.

export * from './errors.js';
export * from './gpu/context.js';
export * from './gpu/tensor.js';
export * from './gpu/preprocess.js';
export * from './cpu/random.js';
export * from './ops/norm.js';
export * from './cpu/norm.js';
