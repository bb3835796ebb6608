// Types of scripts/build.mjs for TypeScript callers (tests).
export const ROOT: string;
export function bundle(entry: string, outfile: string, o?: { platform?: 'node' | 'browser'; minify?: boolean; sourcemap?: boolean; banner?: string }): Promise<string>;
export function buildRenderer(outDir?: string, o?: { minify?: boolean }): Promise<string>;
export function buildMain(outDir?: string): Promise<string>;
export function buildApp(outDir?: string): Promise<unknown>;
