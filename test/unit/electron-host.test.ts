// The renderer's Electron host end to end in Node: electronHost → the real preload (window.api)
// → a fake ipcRenderer that structured-clones arguments and answers like Electron's IPC →
// makeHandler → the real main-process handlers → the file system. Opens a bundled sample through
// it with the engine's openModelFolder, in small read chunks, and checks the bytes. Also that the
// page cannot make main open a folder by path: no Api function takes one, openDropped sends only
// the path the preload derived from a real dropped File, and Open Recent sends an index.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { APP_ORIGIN } from '../../electron.config.js';
import { FolderAllowlist } from '../../main/app/files.js';
import { implementations } from '../../main/app/handlers.js';
import { SettingsStore } from '../../main/app/settings.js';
import { CHANNEL, EVENT, MAX_READ_BYTES, type Api, type Channel, type MenuCommand } from '../../main/ipc/contract.js';
import { makeHandler } from '../../main/ipc/handle.js';
import { baseName, electronHost, filtersFor, HostError, READ_CHUNK } from '../../renderer/host/electron.js';
import type { Host, SampleEntry } from '../../renderer/host/host.js';
import { openModelFolder, type FolderReader } from '../../shaders/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SAMPLE = join(ROOT, 'samples/models/regla');

const rec = vi.hoisted(() => ({
  exposed: new Map<string, unknown>(),
  handlers: new Map<string, (event: { senderFrame: { url: string } }, ...args: unknown[]) => Promise<unknown>>(),
  listeners: new Map<string, Set<(event: unknown, payload: unknown) => void>>(),
  invoked: [] as Array<{ channel: string; args: unknown[] }>,
  paths: new Map<unknown, string>(),
  dialogs: { dir: null as string | null, save: null as string | null, saveAsked: [] as Array<{ path: string; filters: unknown }> },
}));

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => rec.exposed.set(key, value) },
  ipcRenderer: {
    invoke: async (channel: string, ...args: unknown[]) => {
      rec.invoked.push({ channel, args });
      const h = rec.handlers.get(channel);
      if (!h) throw new Error(`No handler registered for '${channel}'`);
      // Electron clones both ways (the structured clone algorithm).
      return structuredClone(await h({ senderFrame: { url: 'app://regla/index.html' } }, ...structuredClone(args)));
    },
    on: (channel: string, fn: (event: unknown, payload: unknown) => void) => {
      const set = rec.listeners.get(channel) ?? new Set();
      set.add(fn);
      rec.listeners.set(channel, set);
    },
    removeListener: (channel: string, fn: (event: unknown, payload: unknown) => void) => rec.listeners.get(channel)?.delete(fn),
  },
  // As Electron's: throws for anything but a File, '' for a File not backed by a file on disk
  // (one page script made), the path for Files the user dropped (here: registered in rec.paths).
  webUtils: {
    getPathForFile: (file: unknown) => {
      if (!(file instanceof File)) throw new TypeError('getPathForFile: expected a File');
      return rec.paths.get(file) ?? '';
    },
  },
}));

const work = mkdtempSync(join(tmpdir(), 'regla-host-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let api: Api;
const samplesStub: Pick<Host, 'listSamples' | 'sampleFolder'> = {
  listSamples: async () => [],
  sampleFolder: (e: SampleEntry) => ({ name: e.name, size: async () => null, read: async () => new Uint8Array(0) }),
};

beforeAll(async () => {
  const settings = new SettingsStore(join(work, 'settings.json'), () => undefined);
  const impl = implementations({
    folders: new FolderAllowlist(),
    settings,
    version: () => ({ app: '0.1.0', electron: '45', chrome: '142', node: '22', platform: 'linux', arch: 'x64' }),
    chooseDirectory: async () => rec.dialogs.dir,
    chooseSavePath: async (path, filters) => (rec.dialogs.saveAsked.push({ path, filters }), rec.dialogs.save),
    chooseOpenPath: async () => null,
    defaultSaveDir: work,
    recentChanged: () => undefined,
  });
  const register = <C extends Channel>(c: C) => rec.handlers.set(c, makeHandler(c, impl[c], APP_ORIGIN));
  for (const c of Object.values(CHANNEL)) register(c);
  await import('../../main/preload/preload.js');
  api = rec.exposed.get('api') as Api;
});

/** The same folder read straight from disk, for comparison. */
function diskReader(dir: string): FolderReader {
  const bytes = (f: string) => {
    try {
      return readFileSync(join(dir, f));
    } catch {
      return null;
    }
  };
  return {
    name: dir,
    size: async (f) => bytes(f)?.length ?? null,
    read: async (f, offset = 0, length) => {
      const b = bytes(f);
      if (!b) throw new Error(`no ${f}`);
      return new Uint8Array(b.subarray(offset, length === undefined ? undefined : offset + length));
    },
  };
}

/** Every byte of a file through a reader, in one call. */
const whole = (r: FolderReader, f: string) => r.read(f);

describe('preload', () => {
  it('exposes exactly one function per channel, plus onCommand and pathForFile; none opens a folder by path', () => {
    expect(Object.keys(api).sort()).toEqual([...Object.keys(CHANNEL), 'onCommand', 'pathForFile'].sort());
    for (const v of Object.values(api)) expect(typeof v).toBe('function');
    expect(api).not.toHaveProperty('openFolder');
  });

  it('openDropped refuses a File page script made, or a path string, with NotOnDisk: nothing sent, nothing allowed', async () => {
    rec.invoked.length = 0;
    const forged = new File(['{}'], 'config.json');
    const asString = api.openDropped as unknown as (x: unknown) => ReturnType<Api['openDropped']>;
    for (const attempt of [forged, SAMPLE, join(SAMPLE, 'config.json'), { name: SAMPLE, path: SAMPLE }, undefined]) {
      const r = await asString(attempt);
      expect(r, String(attempt)).toMatchObject({ ok: false, error: { name: 'NotOnDisk' } });
    }
    expect(rec.invoked).toEqual([]);
    await expect(api.folderSize(SAMPLE, 'config.json')).resolves.toMatchObject({ ok: false, error: { name: 'ForbiddenFolder' } });
    await expect(api.getSettings()).resolves.toMatchObject({ ok: true, value: { recent: [] } });
  });

  it('openDropped sends main only the path the preload derived from the dropped File', async () => {
    const dropped = new File([], 'regla');
    rec.paths.set(dropped, SAMPLE);
    rec.invoked.length = 0;
    await expect(api.openDropped(dropped)).resolves.toEqual({ ok: true, value: { path: SAMPLE, name: 'regla' } });
    expect(rec.invoked).toEqual([{ channel: CHANNEL.openDropped, args: [SAMPLE] }]);
    await expect(api.folderSize(SAMPLE, 'config.json')).resolves.toEqual({ ok: true, value: readFileSync(join(SAMPLE, 'config.json')).length });
  });

  it('maps each function to its channel and leaves off trailing undefined arguments', async () => {
    rec.invoked.length = 0;
    await api.version();
    await api.readFile('/nowhere', 'config.json');
    await api.readFile('/nowhere', 'config.json', 8, undefined);
    expect(rec.invoked).toEqual([
      { channel: CHANNEL.version, args: [] },
      { channel: CHANNEL.readFile, args: ['/nowhere', 'config.json'] },
      { channel: CHANNEL.readFile, args: ['/nowhere', 'config.json', 8] },
    ]);
  });

  it('onCommand passes valid menu:command payloads on, drops others, and unsubscribes', () => {
    const got: MenuCommand[] = [];
    const off = api.onCommand((c) => got.push(c));
    const emit = (p: unknown) => rec.listeners.get(EVENT.command)?.forEach((fn) => fn({}, p));
    emit({ id: 'export.trace' });
    emit({ id: 'recent.2' });
    emit({ id: 'recent.3', arg: '/m/regla' });
    emit({ id: 'rm -rf' });
    emit('palette');
    off();
    emit({ id: 'help' });
    expect(got).toEqual([{ id: 'export.trace' }, { id: 'recent.2' }]);
    expect(rec.listeners.get(EVENT.command)?.size).toBe(0);
  });

  it("pathForFile answers '' for files that are not on disk", () => {
    const f = new File(['x'], 'x.json');
    expect(api.pathForFile(f)).toBe('');
    expect(api.pathForFile('/etc' as unknown as File)).toBe('');
    rec.paths.set(f, '/m/x.json');
    expect(api.pathForFile(f)).toBe('/m/x.json');
  });
});

describe('electronHost', () => {
  it('pickFolder → a reader over folder:size / folder:read that the engine opens', async () => {
    rec.dialogs.dir = SAMPLE;
    const host = electronHost(api, samplesStub, { chunk: 64 * 1024 });
    const reader = await host.pickFolder();
    if (!reader) throw new Error('no folder');
    expect(reader.name).toBe('regla');
    expect(reader.path?.('config.json')).toBe(join(SAMPLE, 'config.json'));
    expect(await reader.size('model.safetensors')).toBe(readFileSync(join(SAMPLE, 'model.safetensors')).length);
    expect(await reader.size('missing.json')).toBeNull();
    const folder = await openModelFolder(reader);
    expect(folder.config.numLayers).toBeGreaterThan(0);
    expect(folder.tokenizerJson).not.toBeNull();
    // The largest tensor, read in 64 KiB IPC chunks, equals the bytes on disk.
    const names = [...folder.source.names()];
    const sizes = names.map((n) => (folder.source.shape(n) ?? []).reduce((a, b) => a * b, 1));
    const big = names[sizes.indexOf(Math.max(...sizes))];
    if (!big) throw new Error('no tensors');
    const t = await folder.source.read(big);
    expect(t.length).toBe(Math.max(...sizes));
    expect(t.length * 4).toBeGreaterThan(64 * 1024); // so it took several chunks
    const direct = await openModelFolder(diskReader(SAMPLE));
    expect(t).toEqual(await direct.source.read(big));
    rec.invoked.length = 0;
    const bytes = await whole(reader, 'model.safetensors');
    expect(Buffer.from(bytes).equals(readFileSync(join(SAMPLE, 'model.safetensors')))).toBe(true);
    const reads = rec.invoked.filter((c) => c.channel === CHANNEL.readFile);
    expect(reads.length).toBe(Math.ceil(bytes.length / (64 * 1024)));
    expect(reads.every((c) => (c.args[3] as number) <= 64 * 1024)).toBe(true);
    await folder.close();
  });

  it('a cancelled pick gives null; a pick of a non-model folder throws its named error', async () => {
    const host = electronHost(api, samplesStub);
    rec.dialogs.dir = null;
    await expect(host.pickFolder()).resolves.toBeNull();
    rec.dialogs.dir = work;
    await expect(host.pickFolder()).rejects.toMatchObject({ name: 'NotAModelFolder' });
  });

  it('droppedFolder: a dropped folder (or a file in it) opens through openDropped (folder:drop)', async () => {
    const host = electronHost(api, samplesStub);
    const dropped = new File([], 'regla');
    rec.paths.set(dropped, SAMPLE);
    rec.invoked.length = 0;
    const reader = host.droppedFolder([dropped]);
    expect(reader.name).toBe('regla');
    expect(JSON.parse(new TextDecoder().decode(await whole(reader, 'config.json')))).toEqual(JSON.parse(readFileSync(join(SAMPLE, 'config.json'), 'utf8')));
    expect(rec.invoked.filter((c) => c.channel === CHANNEL.openDropped)).toEqual([{ channel: CHANNEL.openDropped, args: [SAMPLE] }]);
    const config = new File([], 'config.json');
    rec.paths.set(config, join(SAMPLE, 'config.json'));
    const viaFile = host.droppedFolder([config]);
    expect(viaFile.name).toBe('regla');
    expect(await viaFile.size('tokenizer.json')).toBe(readFileSync(join(SAMPLE, 'tokenizer.json')).length);
  });

  it('droppedFolder: a folder that is not a model fails on first use with main\'s error, and the engine names the file', async () => {
    const host = electronHost(api, samplesStub);
    const notModel = join(work, 'photos');
    mkdirSync(notModel);
    const f = new File([], 'photos');
    rec.paths.set(f, notModel);
    const reader = host.droppedFolder([f]);
    await expect(reader.size('config.json')).rejects.toMatchObject({ name: 'NotAModelFolder' });
    await expect(openModelFolder(host.droppedFolder([f]))).rejects.toThrow(/photos\/config\.json: cannot read: .*not a model folder/);
  });

  it('droppedFolder: files not on disk are read in the page, as in a browser', async () => {
    const host = electronHost(api, samplesStub);
    const f = new File(['{"a":1}'], 'config.json');
    const reader = host.droppedFolder([f]);
    expect(new TextDecoder().decode(await reader.read('config.json'))).toBe('{"a":1}');
  });

  it('reads go only to folders main allowed, with plain names', async () => {
    await expect(api.readFile(join(ROOT, 'samples/models/gla'), 'config.json')).resolves.toMatchObject({ ok: false, error: { name: 'ForbiddenFolder' } });
    await expect(api.readFile(SAMPLE, '../gla/config.json')).resolves.toMatchObject({ ok: false, error: { name: 'BadFileName' } });
    await expect(api.readFile(SAMPLE, 'model.safetensors', 0, MAX_READ_BYTES + 1)).resolves.toMatchObject({ ok: false, error: { name: 'ValidationError' } });
  });

  it('openRecent (Open Recent) reopens entry i of main\'s list by index; out of range → NoSuchRecent; no config.json → NotAModelFolder', async () => {
    const host = electronHost(api, samplesStub);
    await expect(host.getSettings?.()).resolves.toMatchObject({ recent: [SAMPLE] });
    rec.invoked.length = 0;
    const r = await host.openRecent?.(0);
    expect(r?.name).toBe('regla');
    expect(await r?.size('config.json')).toBe(readFileSync(join(SAMPLE, 'config.json')).length);
    expect(rec.invoked[0]).toEqual({ channel: CHANNEL.openRecent, args: [0] });
    await expect(host.openRecent?.(1)).rejects.toMatchObject({ name: 'NoSuchRecent' });
    await expect(host.openRecent?.(9)).rejects.toMatchObject({ name: 'ValidationError' });
    // A model folder dropped earlier that has since lost its config.json.
    const moved = join(work, 'moved');
    mkdirSync(moved);
    writeFileSync(join(moved, 'config.json'), '{}');
    const f = new File([], 'moved');
    rec.paths.set(f, moved);
    const opened = await api.openDropped(f);
    if (!opened.ok) throw new Error(opened.error.message);
    await expect(host.getSettings?.()).resolves.toMatchObject({ recent: [opened.value.path, SAMPLE] });
    rmSync(join(moved, 'config.json'));
    await expect(host.openRecent?.(0)).rejects.toMatchObject({ name: 'NotAModelFolder' });
    rmSync(moved, { recursive: true });
    await expect(host.openRecent?.(0)).rejects.toMatchObject({ name: 'NoSuchFolder' });
    // Reopening moves the entry first again.
    await host.openRecent?.(1);
    await expect(host.getSettings?.()).resolves.toMatchObject({ recent: [SAMPLE, opened.value.path] });
  });

  it('save: save dialog with a filter from the extension, then the bytes on disk; cancel is quiet', async () => {
    const host = electronHost(api, samplesStub);
    const target = join(work, 'out', 'panel.png');
    mkdirSync(join(work, 'out'), { recursive: true });
    rec.dialogs.save = target;
    await host.save('panel.png', new Blob([new Uint8Array([137, 80, 78, 71])]));
    expect([...readFileSync(target)]).toEqual([137, 80, 78, 71]);
    expect(rec.dialogs.saveAsked.at(-1)).toEqual({ path: join(work, 'panel.png'), filters: [{ name: 'PNG file', extensions: ['png'] }] });
    rec.dialogs.save = null;
    await expect(host.save('trace.json', new Blob(['{}']))).resolves.toBeUndefined();
    writeFileSync(join(work, 'out', 'keep'), '');
  });

  it('settings round-trip through settings:get / settings:set', async () => {
    const host = electronHost(api, samplesStub);
    await expect(host.setSettings?.({ panel: 'gates' })).resolves.toMatchObject({ panel: 'gates' });
    await expect(host.getSettings?.()).resolves.toMatchObject({ panel: 'gates', recent: [SAMPLE, expect.stringMatching(/moved$/)] });
  });

  it('unwraps failures into HostErrors carrying main\'s error name', async () => {
    const host = electronHost(api, samplesStub);
    const e = await host.openRecent?.(8).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HostError);
    expect(e).toMatchObject({ name: 'NoSuchRecent' });
  });

  it('helpers', () => {
    expect(READ_CHUNK).toBe(MAX_READ_BYTES);
    expect(filtersFor('trace.json')).toEqual([{ name: 'JSON file', extensions: ['json'] }]);
    expect(filtersFor('noext')).toEqual([]);
    expect(baseName('/a/b/')).toBe('b');
    expect(baseName('C:\\m\\regla')).toBe('regla');
  });
});
