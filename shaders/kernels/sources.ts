// Shared WGSL include files, available to every kernel through `#include "name.wgsl"`.
import common from './common.wgsl';
import gateMath from './gate_math.wgsl';

export const INCLUDES: Readonly<Record<string, string>> = { 'common.wgsl': common, 'gate_math.wgsl': gateMath };

/** The source map for one kernel file plus the shared includes. */
export function sourcesFor(file: string, source: string): Readonly<Record<string, string>> {
  return { ...INCLUDES, [file]: source };
}
