// Named engine errors. Each has a stable `name` (safe to switch on across IPC/Workers), written out
// rather than read from the class (bundles are built without esbuild's keepNames, whose per-closure
// renaming cost the capture's hot paths ~1 ms a prefill), and an
// optional `cause`; messages say which tensor, field or line, and what was expected.

export class ReglaError extends Error {
  override readonly name: string = 'ReglaError';
}

/** A config field has an unknown or inconsistent value. */
export class ConfigError extends ReglaError {
  override readonly name: string = 'ConfigError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`config.${field}: ${message}`);
  }
}

/** A tensor does not have the shape (or dtype) an op or the config requires. */
export class ShapeError extends ReglaError {
  override readonly name: string = 'ShapeError';
  constructor(
    readonly tensor: string,
    message: string,
  ) {
    super(`${tensor}: ${message}`);
  }
}

/** Weights are missing, extra, or malformed for the config. */
export class WeightsFormatError extends ReglaError {
  override readonly name: string = 'WeightsFormatError';
}

/** WGSL failed to compile; `line` is the line in the original .wgsl file (after #include mapping). */
export class ShaderCompileError extends ReglaError {
  override readonly name: string = 'ShaderCompileError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}:${column}: ${detail}`);
  }
}

/** The model (or a tensor) does not fit the device's limits; the message carries the numbers. */
export class OutOfMemoryError extends ReglaError {
  override readonly name: string = 'OutOfMemoryError';
}

/** The GPU device was lost (driver reset, destroy(), …). Create a new context/session to continue. */
export class DeviceLostError extends ReglaError {
  override readonly name: string = 'DeviceLostError';
}

/** A run was cancelled by the caller. */
export class CancelledError extends ReglaError {
  override readonly name: string = 'CancelledError';
}

/** Something the GPU reported (validation error) that indicates a bug, with the op that caused it. */
export class GpuValidationError extends ReglaError {
  override readonly name: string = 'GpuValidationError';
}

/** An intervention is malformed or does not apply to the model; `intervention` names it (e.g. "interventions[1] (force_r)"). */
export class InterventionError extends ReglaError {
  override readonly name: string = 'InterventionError';
  constructor(
    readonly intervention: string,
    message: string,
  ) {
    super(`${intervention}: ${message}`);
  }
}
