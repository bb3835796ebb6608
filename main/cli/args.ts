// Option parsing shared by the CLI's subcommands (regla.ts parses the argv itself).

/**
 * How each option of a command parses: a string, a number, an integer, a flag without value, or a
 * repeatable string ('list': every occurrence, in order, as a string[]).
 */
export type OptionSpec = Record<string, 'string' | 'number' | 'int' | 'flag' | 'list'>;

/** Parsed options of one command. */
export type ParsedArgs = ReadonlyMap<string, string | number | boolean | readonly string[]>;

/** What regla.ts hands a subcommand: the GPU, its usage-error builder (exit 2) and stdout. */
export interface CommandDeps {
  gpu: () => GPU;
  /** Builds the CLI's usage error (exit 2). */
  usage: (message: string) => Error;
  write: (s: string) => void;
}

/** A required, non-empty string option; otherwise `usage(...)` (exit 2) naming the command and option. */
export function requiredString(a: ParsedArgs, cmd: string, name: string, usage: (message: string) => Error): string {
  const v = a.get(name);
  if (typeof v !== 'string' || v === '') throw usage(`${cmd}: --${name} is required (see regla ${cmd} --help)`);
  return v;
}

/**
 * A comma-separated list of integers, each accepted by `ok` (`what` says which in the error),
 * deduplicated in order; `fallback` when the option is absent. Throws `usage(...)` (exit 2) naming
 * the command and option.
 */
export function intList(
  v: unknown,
  cmd: string,
  name: string,
  fallback: number[],
  ok: (n: number) => boolean,
  what: string,
  usage: (message: string) => Error,
): number[] {
  if (v === undefined) return fallback;
  const parts = String(v).split(',').map((s) => s.trim());
  const ns = parts.map(Number);
  if (parts.some((s) => s === '') || ns.some((n) => !Number.isInteger(n) || !ok(n))) {
    throw usage(`${cmd}: --${name} must be a comma-separated list of ${what}, got "${String(v)}"`);
  }
  return [...new Set(ns)];
}
