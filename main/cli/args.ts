// Option parsing shared by the CLI's subcommands (regla.ts parses the argv itself).

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
