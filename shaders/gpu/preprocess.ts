// The WGSL preprocessor: `#include "file.wgsl"`, `#if EXPR` / `#elif EXPR` / `#else` / `#endif`
// for structural variants, and `${NAME}` substitution of defines. Numeric variants should use
// WGSL `override` constants instead. Returns the code and a line map (output line → file, line)
// so that compile errors point at the source the developer wrote.

import { ShaderCompileError } from '../errors.js';

export type Defines = Readonly<Record<string, string | number | boolean>>;

export interface SourceLine {
  file: string;
  line: number;
}

export interface Preprocessed {
  code: string;
  /** lineMap[i] is the origin of output line i + 1. */
  lineMap: SourceLine[];
}

/** `#if` expressions: NAME (truthy), !NAME, NAME == value, NAME != value, joined by && or ||. */
function evalCondition(expr: string, defines: Defines, file: string, line: number): boolean {
  const orParts = expr.split('||');
  return orParts.some((orPart) =>
    orPart.split('&&').every((term) => {
      const t = term.trim();
      const m = /^([A-Za-z_]\w*)\s*(==|!=)\s*(\S+)$/.exec(t);
      if (m) {
        const [, name, op, value] = m as unknown as [string, string, string, string];
        const actual = name in defines ? String(defines[name]) : '';
        return op === '==' ? actual === value : actual !== value;
      }
      const n = /^(!?)\s*([A-Za-z_]\w*)$/.exec(t);
      if (!n) throw new ShaderCompileError(file, line, 1, `bad #if expression '${expr}'`);
      const v = defines[n[2] as string];
      const truthy = v !== undefined && v !== false && v !== 0 && v !== '0' && v !== '';
      return n[1] === '!' ? !truthy : truthy;
    }),
  );
}

export function preprocess(
  file: string,
  sources: Readonly<Record<string, string>>,
  defines: Defines = {},
): Preprocessed {
  const out: string[] = [];
  const lineMap: SourceLine[] = [];
  const included = new Set<string>();

  const emit = (name: string, stack: string[]): void => {
    const src = sources[name];
    if (src === undefined) {
      const from = stack.at(-1) ?? name;
      throw new ShaderCompileError(from, 1, 1, `#include of unknown file '${name}'`);
    }
    if (stack.includes(name)) throw new ShaderCompileError(name, 1, 1, `recursive #include`);
    included.add(name);
    // Each frame: [active, anyBranchTaken, parentActive]
    const conds: Array<[boolean, boolean, boolean]> = [];
    const active = (): boolean => conds.every((c) => c[0]);
    const lines = src.split('\n');
    lines.forEach((text, i) => {
      const lineNo = i + 1;
      const d = /^\s*#(\w+)\s*(.*)$/.exec(text);
      if (d) {
        const [, kw, rest] = d as unknown as [string, string, string];
        switch (kw) {
          case 'if': {
            const parent = active();
            const v = parent && evalCondition(rest, defines, name, lineNo);
            conds.push([v, v, parent]);
            return;
          }
          case 'elif': {
            const top = conds.at(-1);
            if (!top) throw new ShaderCompileError(name, lineNo, 1, '#elif without #if');
            const v = top[2] && !top[1] && evalCondition(rest, defines, name, lineNo);
            top[0] = v;
            top[1] = top[1] || v;
            return;
          }
          case 'else': {
            const top = conds.at(-1);
            if (!top) throw new ShaderCompileError(name, lineNo, 1, '#else without #if');
            top[0] = top[2] && !top[1];
            top[1] = true;
            return;
          }
          case 'endif':
            if (!conds.pop()) throw new ShaderCompileError(name, lineNo, 1, '#endif without #if');
            return;
          case 'include': {
            if (!active()) return;
            const m = /^"([^"]+)"/.exec(rest);
            if (!m) throw new ShaderCompileError(name, lineNo, 1, `bad #include '${rest}'`);
            const inc = m[1] as string;
            if (!included.has(inc)) emit(inc, [...stack, name]);
            return;
          }
          default:
            throw new ShaderCompileError(name, lineNo, 1, `unknown directive #${kw}`);
        }
      }
      if (!active()) return;
      const substituted = text.replace(/\$\{([A-Za-z_]\w*)\}/g, (_, key: string) => {
        const v = defines[key];
        if (v === undefined) throw new ShaderCompileError(name, lineNo, 1, `undefined \${${key}}`);
        return String(v);
      });
      out.push(substituted);
      lineMap.push({ file: name, line: lineNo });
    });
    if (conds.length) throw new ShaderCompileError(name, lines.length, 1, 'unterminated #if');
  };

  emit(file, []);
  return { code: out.join('\n'), lineMap };
}
