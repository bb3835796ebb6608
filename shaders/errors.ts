// Named engine errors. Each has a stable `name` (safe to switch on across IPC/Workers) and an
// optional `cause`; messages say which tensor, field or line, and what was expected.

export class ReglaError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A config field has an unknown or inconsistent value. */
export class ConfigError extends ReglaError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`config.${field}: ${message}`);
  }
}

/** A tensor does not have the shape (or dtype) an op or the config requires. */
export class ShapeError extends ReglaError {
  constructor(
    readonly tensor: string,
    message: string,
  ) {
    super(`${tensor}: ${message}`);
  }
}

/** Weights are missing, extra, or malformed for the config. */
export class WeightsFormatError extends ReglaError {}

/** WGSL failed to compile; `line` is the line in the original .wgsl file (after #include mapping). */
export class ShaderCompileError extends ReglaError {
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
export class OutOfMemoryError extends ReglaError {}

/** The GPU device was lost (driver reset, destroy(), …). Create a new context/session to continue. */
export class DeviceLostError extends ReglaError {}

/** A run was cancelled by the caller. */
export class CancelledError extends ReglaError {}

/** Something the GPU reported (validation error) that indicates a bug, with the op that caused it. */
export class GpuValidationError extends ReglaError {}

/** An intervention is malformed or does not apply to the model; `intervention` names it (e.g. "interventions[1] (force_r)"). */
export class InterventionError extends ReglaError {
  constructor(
    readonly intervention: string,
    message: string,
  ) {
    super(`${intervention}: ${message}`);
  }
}
