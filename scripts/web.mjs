// The web host: the same renderer the Electron window loads, served over HTTP on 127.0.0.1 with
// the bundled samples beside it (/samples/ → samples/models), so the whole app runs in any
// WebGPU browser (and in the end-to-end tests) without Electron.
//   npm run web [-- --port 5173] [--no-build]
// GET/HEAD only, single byte ranges (the model loader streams weights by range), no listings,
// nothing outside the two folders.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, buildRenderer } from './build.mjs';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
  '.safetensors': 'application/octet-stream',
  '.bin': 'application/octet-stream',
};

/** The file a URL path names under one of the mounts, or null. */
export function resolvePath(mounts, urlPath) {
  let path;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  if (path.endsWith('/')) path += 'index.html';
  for (const [prefix, dir] of mounts) {
    if (!path.startsWith(prefix)) continue;
    const base = resolve(dir);
    const file = resolve(base, `.${path.slice(prefix.length - 1)}`);
    if (!file.startsWith(base + sep)) return null;
    const type = TYPES[extname(file).toLowerCase()];
    return type ? { file, type } : null;
  }
  return null;
}

/** Parses a single `bytes=a-b` / `bytes=a-` / `bytes=-n` range against a size; null if absent or unsatisfiable. */
export function parseRange(header, size) {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header ?? '');
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start;
  let end;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start <= end && start < size ? { start, end } : null;
}

/** Starts the server; resolves with its URL and a close(). */
export async function serveApp({ renderer = join(ROOT, 'dist/renderer'), samples = join(ROOT, 'samples/models'), port = 0, host = '127.0.0.1' } = {}) {
  const mounts = [
    ['/samples/', samples],
    ['/', renderer],
  ];
  const server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405).end();
      const hit = resolvePath(mounts, new URL(req.url ?? '/', 'http://x').pathname);
      const st = hit ? await stat(hit.file).catch(() => null) : null;
      if (!hit || !st?.isFile()) return void res.writeHead(404).end();
      const headers = { 'content-type': hit.type, 'accept-ranges': 'bytes', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
      const range = req.headers.range ? parseRange(req.headers.range, st.size) : null;
      if (req.headers.range && !range) return void res.writeHead(416, { 'content-range': `bytes */${st.size}` }).end();
      if (range) {
        res.writeHead(206, { ...headers, 'content-range': `bytes ${range.start}-${range.end}/${st.size}`, 'content-length': range.end - range.start + 1 });
        if (req.method === 'HEAD') return void res.end();
        createReadStream(hit.file, { start: range.start, end: range.end }).pipe(res);
        return;
      }
      res.writeHead(200, { ...headers, 'content-length': st.size });
      if (req.method === 'HEAD') return void res.end();
      createReadStream(hit.file).pipe(res);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  const { port: bound } = server.address();
  return {
    url: `http://${host}:${bound}`,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

async function main() {
  const args = process.argv.slice(2);
  const port = args.includes('--port') ? Number(args[args.indexOf('--port') + 1]) : 5173;
  if (!args.includes('--no-build')) await buildRenderer();
  const { url } = await serveApp({ port });
  process.stdout.write(
    `ReGLA Studio (web host) at ${url}/ — open it in a browser with WebGPU ` +
      '(Chromium on Linux: --enable-unsafe-webgpu; without a GPU also --enable-unsafe-swiftshader). Ctrl+C stops.\n',
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e) => {
    process.stderr.write(`npm run web: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
