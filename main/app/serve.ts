// How app:// URLs map onto files on disk, without Electron (so Node tests cover the
// path-traversal guard and range handling): only the app host, only files under the renderer
// folder or an extra mount (the bundled samples under /samples/), a fixed set of content types,
// GET/HEAD, and single byte ranges (the renderer's model reader streams weights by range).

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
};

export interface Resolved {
  file: string;
  type: string;
}

/** A URL path prefix ('/samples/', with both slashes) served from a folder. */
export type Mount = readonly [prefix: string, dir: string];

/**
 * The file an app:// request names, or null when the URL is for another scheme or host, escapes
 * its folder, or has a type we do not serve. Paths under a mount's prefix come from the mount's
 * folder (and never from `root`); everything else from `root`. `/` serves index.html.
 */
export function resolveAppUrl(url: string, root: string, scheme: string, host: string, mounts: readonly Mount[] = []): Resolved | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== `${scheme}:` || u.host !== host) return null;
  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  if (!path.startsWith('/')) path = `/${path}`;
  if (path.endsWith('/')) path += 'index.html';
  const mount = mounts.find(([prefix]) => path.startsWith(prefix));
  const dir = mount ? mount[1] : root;
  const rel = mount ? path.slice(mount[0].length - 1) : path;
  const base = resolve(dir);
  const file = resolve(base, `.${rel}`);
  if (!file.startsWith(base + sep)) return null;
  const type = TYPES[extname(file).toLowerCase()];
  return type ? { file, type } : null;
}

/**
 * A single `bytes=a-b` / `bytes=a-` / `bytes=-n` range against `size`, or null when the header is
 * malformed, asks for several ranges, or cannot be satisfied.
 */
export function parseRange(header: string, size: number): { start: number; end: number } | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return null;
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return Number.isSafeInteger(start) && Number.isSafeInteger(end) && start <= end && start < size ? { start, end } : null;
}

/** The response for a resolved file: 200, or 206 for a Range, 416 for a bad one, 404 when absent. */
export async function fileResponse(hit: Resolved, method: string, range: string | null, headers: Record<string, string>): Promise<Response> {
  const st = await stat(hit.file).catch(() => null);
  if (!st?.isFile()) return new Response('not found', { status: 404 });
  const common = { ...headers, 'content-type': hit.type, 'accept-ranges': 'bytes', 'x-content-type-options': 'nosniff' };
  let start = 0;
  let end = st.size - 1;
  let status = 200;
  const extra: Record<string, string> = {};
  if (range !== null) {
    const r = parseRange(range, st.size);
    if (!r) return new Response(null, { status: 416, headers: { ...common, 'content-range': `bytes */${st.size}` } });
    ({ start, end } = r);
    status = 206;
    extra['content-range'] = `bytes ${start}-${end}/${st.size}`;
  }
  const length = Math.max(0, end - start + 1);
  const all = { ...common, ...extra, 'content-length': String(length) };
  if (method === 'HEAD' || length === 0) return new Response(null, { status, headers: all });
  const body = Readable.toWeb(createReadStream(hit.file, { start, end })) as ReadableStream<Uint8Array>;
  return new Response(body, { status, headers: all });
}
