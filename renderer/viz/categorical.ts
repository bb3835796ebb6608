// Categorical colours for a handful of named things (ops in the kernel timeline and roofline):
// Paul Tol's "light" scheme, designed to stay distinct under the common colour-vision
// deficiencies and legible on a dark background. Tol advises against more than ~9 categorical
// colours, so keys beyond the palette share one neutral "other" colour; views label marks with
// text as well, so colour is never the only cue.

import { scaleOrdinal } from 'd3';

/** Tol "light" without its pale grey (kept for OTHER_COLOR). */
export const TOL_LIGHT: readonly string[] = ['#77AADD', '#EE8866', '#EEDD88', '#FFAABB', '#99DDFF', '#44BB99', '#BBCC33', '#AAAA00'];
/** Colour shared by every key past the palette's length. */
export const OTHER_COLOR = '#9a9a9a';

export interface Categorical {
  /** Keys with their own colour, in palette order. */
  named: readonly string[];
  color(key: string): string;
  /** Palette slot of a key, −1 when it shares OTHER_COLOR. */
  index(key: string): number;
}

/**
 * Colours for keys ranked by importance (the first keys get the palette; duplicates are ignored):
 * pass keys sorted by, e.g., total time so the ops that matter are the distinguishable ones.
 */
export function categorical(rankedKeys: readonly string[], palette: readonly string[] = TOL_LIGHT): Categorical {
  const named = [...new Set(rankedKeys)].slice(0, palette.length);
  const scale = scaleOrdinal<string, string>().domain(named).range(palette.slice(0, Math.max(1, named.length))).unknown(OTHER_COLOR);
  const slot = new Map(named.map((k, i) => [k, i] as const));
  return {
    named,
    color: (key) => scale(key),
    index: (key) => slot.get(key) ?? -1,
  };
}
