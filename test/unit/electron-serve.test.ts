// app:// beyond the renderer: the bundled samples mounted at /samples/ (path traversal out of
// either folder refused), single byte ranges, and the responses the protocol handler returns.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileResponse, parseRange, resolveAppUrl, type Mount } from '../../main/app/serve.js';
import { APP_HOST, APP_ORIGIN, APP_SCHEME, SAMPLES_PREFIX } from '../../electron.config.js';

describe('resolveAppUrl with the samples mount', () => {
  const root = '/srv/app/dist/renderer';
  const samples = '/srv/app/samples/models';
  const mounts: Mount[] = [[SAMPLES_PREFIX, samples]];
  const at = (url: string) => resolveAppUrl(url, root, APP_SCHEME, APP_HOST, mounts);

  it('serves /samples/... from the samples folder and the rest from the renderer', () => {
    expect(at(`${APP_ORIGIN}/samples/index.json`)).toEqual({ file: `${samples}/index.json`, type: 'application/json' });
    expect(at(`${APP_ORIGIN}/samples/regla/model.safetensors`)).toEqual({ file: `${samples}/regla/model.safetensors`, type: 'application/octet-stream' });
    expect(at(`${APP_ORIGIN}/samples/hybrid%20regla/config.json`)?.file).toBe(`${samples}/hybrid regla/config.json`);
    expect(at(`${APP_ORIGIN}/index.html`)?.file).toBe(`${root}/index.html`);
    expect(at(`${APP_ORIGIN}/samplesx/a.json`)?.file).toBe(`${root}/samplesx/a.json`);
    // The URL parser resolves plain dot segments first: this is the renderer's index.html.
    expect(at(`${APP_ORIGIN}/samples/../index.html`)?.file).toBe(`${root}/index.html`);
  });

  it('never leaves the two folders, whatever the encoding', () => {
    for (const url of [
      `${APP_ORIGIN}/samples/..%2f..%2fpackage.json`,
      `${APP_ORIGIN}/samples/%2e%2e/%2e%2e/package.json`,
      `${APP_ORIGIN}/samples/%2e%2e/renderer/index.html`,
      `${APP_ORIGIN}/samples/regla/..%2F..%2F..%2Fetc%2Fpasswd.json`,
      `${APP_ORIGIN}/samples/%2e%2e%2fmodels%2e%2e%2findex.json`,
      `${APP_ORIGIN}/samples/..%5c..%5cx.json`,
    ]) {
      // (The URL parser reads %2e%2e segments as '..' itself: those land in the renderer folder.)
      const hit = at(url);
      if (hit) expect(hit.file.startsWith(`${samples}/`) || hit.file.startsWith(`${root}/`), url).toBe(true);
    }
    expect(at(`${APP_ORIGIN}/samples/%2e%2e/%2e%2e/package.json`)?.file).toBe(`${root}/package.json`);
    expect(at(`${APP_ORIGIN}/samples/..%2f..%2fpackage.json`)).toBeNull();
    expect(at(`${APP_ORIGIN}/samples/%2e%2e/renderer/index.html`)?.file).toBe(`${root}/renderer/index.html`);
    expect(at(`${APP_ORIGIN}/samples/regla/..%2f..%2f..%2fpackage.json`)).toBeNull();
    expect(at(`${APP_ORIGIN}/samples/x.json%00.js`)).toBeNull();
    expect(at(`${APP_ORIGIN}/samples/README.md`)).toBeNull(); // no type we serve
    expect(at(`app://other/samples/index.json`)).toBeNull();
  });

  it('without mounts, /samples/ is just a renderer path (the old behaviour)', () => {
    expect(resolveAppUrl(`${APP_ORIGIN}/samples/index.json`, root, APP_SCHEME, APP_HOST)?.file).toBe(`${root}/samples/index.json`);
  });
});

describe('parseRange', () => {
  it('reads the three single-range forms, clamped to the file', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-500', 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=50-500', 100)).toEqual({ start: 50, end: 99 });
  });
  it('refuses malformed, multiple and unsatisfiable ranges', () => {
    for (const h of ['', 'bytes=', 'bytes=-', 'bytes=5-2', 'bytes=100-', 'bytes=0-1,3-4', 'items=0-1', 'bytes=-0', 'bytes=a-b', 'bytes=99999999999999999999-']) {
      expect(parseRange(h, 100), h).toBeNull();
    }
  });
});

describe('fileResponse', () => {
  const dir = mkdtempSync(join(tmpdir(), 'regla-serve-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'w.bin');
  writeFileSync(file, Uint8Array.from({ length: 100 }, (_, i) => i));
  mkdirSync(join(dir, 'sub.bin'));
  const hit = { file, type: 'application/octet-stream' };
  const csp = { 'content-security-policy': "default-src 'none'" };

  it('GET: the whole file with its length, type, CSP and accept-ranges', async () => {
    const r = await fileResponse(hit, 'GET', null, csp);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-length')).toBe('100');
    expect(r.headers.get('accept-ranges')).toBe('bytes');
    expect(r.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(new Uint8Array(await r.arrayBuffer())).toEqual(Uint8Array.from({ length: 100 }, (_, i) => i));
  });

  it('Range: 206 with exactly those bytes and a Content-Range', async () => {
    const r = await fileResponse(hit, 'GET', 'bytes=10-13', csp);
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe('bytes 10-13/100');
    expect(r.headers.get('content-length')).toBe('4');
    expect([...new Uint8Array(await r.arrayBuffer())]).toEqual([10, 11, 12, 13]);
    const tail = await fileResponse(hit, 'GET', 'bytes=-3', csp);
    expect([...new Uint8Array(await tail.arrayBuffer())]).toEqual([97, 98, 99]);
  });

  it('a bad range is 416 with the size; HEAD has the length and no body; a missing file or folder is 404', async () => {
    const bad = await fileResponse(hit, 'GET', 'bytes=200-300', csp);
    expect(bad.status).toBe(416);
    expect(bad.headers.get('content-range')).toBe('bytes */100');
    const head = await fileResponse(hit, 'HEAD', null, csp);
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('100');
    expect(head.body).toBeNull();
    expect((await fileResponse({ ...hit, file: join(dir, 'missing.bin') }, 'GET', null, csp)).status).toBe(404);
    expect((await fileResponse({ ...hit, file: join(dir, 'sub.bin') }, 'GET', null, csp)).status).toBe(404);
  });
});
