// Types of scripts/web.mjs for TypeScript callers (tests).
export interface WebHost {
  url: string;
  close(): Promise<void>;
}
export function serveApp(o?: { renderer?: string; samples?: string; port?: number; host?: string }): Promise<WebHost>;
export function resolvePath(mounts: ReadonlyArray<readonly [string, string]>, urlPath: string): { file: string; type: string } | null;
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null;
