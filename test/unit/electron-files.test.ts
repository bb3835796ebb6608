// Main-process file access without Electron: plain file names only, the folder allowlist (traversal
// attempts, absolute paths, separators), model-folder validation, capped reads, atomic writes (no
// partial file, no temp file left on error), the IPC handlers with fake dialogs, and settings
// persistence (bad JSON on disk → defaults, not a crash).
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FolderAllowlist, checkFileName, modelDir, readSlice, safeFileName, writeFileAtomic } from '../../main/app/files.js';
import { implementations, type HandlerDeps } from '../../main/app/handlers.js';
import { DEFAULT_SETTINGS, SettingsStore, addRecent, parseSettings } from '../../main/app/settings.js';
import { APP_ORIGIN } from '../../electron.config.js';
import { CHANNEL, type Channel } from '../../main/ipc/contract.js';
import { makeHandler } from '../../main/ipc/handle.js';

const tmp = mkdtempSync(join(tmpdir(), 'regla-files-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const dir = (): string => {
  const d = join(tmp, `d${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

/** A model folder (config.json + a weights file) beside a secret the renderer must not reach. */
function modelFolder(): { root: string; model: string } {
  const root = dir();
  const model = join(root, 'model');
  mkdirSync(model);
  writeFileSync(join(model, 'config.json'), '{"model_type":"regla"}');
  writeFileSync(join(model, 'model.safetensors'), Uint8Array.from({ length: 256 }, (_, i) => i));
  mkdirSync(join(model, 'sub'));
  writeFileSync(join(model, 'sub', 'x.json'), '{}');
  writeFileSync(join(root, 'secret.txt'), 'secret');
  return { root, model };
}

async function named(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).name;
  }
  return 'no error';
}

describe('checkFileName', () => {
  it('accepts plain names', () => {
    for (const f of ['config.json', 'model-00001-of-00002.safetensors', 'tokenizer_config.json', '.hidden', 'a b']) expect(checkFileName(f)).toBe(f);
  });
  it('rejects separators, dot names, absolute paths, drives, devices and control characters with BadFileName', () => {
    for (const f of ['', '.', '..', '../secret.txt', 'sub/x.json', 'a\\b', '/etc/passwd', 'C:\\x', 'C:x', 'x\0y', 'a\nb', 'NUL', 'con.txt', 'x'.repeat(256)]) {
      expect(() => checkFileName(f), JSON.stringify(f)).toThrow(expect.objectContaining({ name: 'BadFileName' }));
    }
  });
});

describe('FolderAllowlist', () => {
  const { root, model } = modelFolder();
  const folders = new FolderAllowlist();
  folders.add(model);

  it('reads and sizes plain files of an allowed folder', async () => {
    expect(await folders.size(model, 'config.json')).toBe(22);
    expect(await folders.size(model, 'missing.json')).toBeNull();
    expect(await folders.size(model, 'sub')).toBeNull(); // a directory is not a file
    expect([...(await folders.read(model, 'model.safetensors', 10, 4))]).toEqual([10, 11, 12, 13]);
    expect((await folders.read(model, 'model.safetensors')).length).toBe(256);
    expect([...(await folders.read(model, 'model.safetensors', 250))]).toEqual([250, 251, 252, 253, 254, 255]);
    expect((await folders.read(model, 'model.safetensors', 254, 10)).length).toBe(2); // short only where the file ends
    expect((await folders.read(model, 'model.safetensors', 300, 10)).length).toBe(0);
  });

  it('refuses traversal, separators and absolute names (BadFileName), whatever the folder', async () => {
    for (const f of ['../secret.txt', '..', 'sub/x.json', `${root}/secret.txt`, '..\\secret.txt', '%2e%2e/secret.txt', '/etc/passwd']) {
      expect(await named(folders.read(model, f)), f).toBe('BadFileName');
      expect(await named(folders.size(model, f)), f).toBe('BadFileName');
    }
    // Names are never URL-decoded: '%2e%2e' is just a missing file.
    expect(await folders.size(model, '%2e%2e')).toBeNull();
  });

  it('refuses folders that were not allowed, including parents and look-alikes (ForbiddenFolder)', async () => {
    for (const f of [root, `${model}/`, `${model}/.`, `${model}/../model`, `${model}-x`, join(model, 'sub'), '/']) {
      expect(await named(folders.read(f, 'config.json')), f).toBe('ForbiddenFolder');
      expect(await named(folders.size(f, 'secret.txt')), f).toBe('ForbiddenFolder');
    }
  });

  it('only allows absolute folders', () => {
    expect(() => folders.add('relative/dir')).toThrow(expect.objectContaining({ name: 'BadPath' }));
  });
});

describe('readSlice cap', () => {
  it('refuses whole-file and explicit reads over the cap', async () => {
    const { model } = modelFolder();
    const f = join(model, 'model.safetensors');
    expect(await named(readSlice(f, 0, undefined, 100))).toBe('ReadTooLarge');
    expect(await named(readSlice(f, 0, 101, 100))).toBe('ReadTooLarge');
    expect((await readSlice(f, 200, undefined, 100)).length).toBe(56);
    expect((await readSlice(f, 0, 100, 100)).length).toBe(100);
    expect(await named(readSlice(join(model, 'sub'), 0, 1))).not.toBe('no error');
  });
});

describe('modelDir', () => {
  it('accepts a folder with config.json, or a file in it, canonically', async () => {
    const { root, model } = modelFolder();
    expect(await modelDir(model)).toEqual({ path: model, name: 'model' });
    expect(await modelDir(join(model, 'config.json'))).toEqual({ path: model, name: 'model' });
    const link = join(root, 'link');
    symlinkSync(model, link);
    expect((await modelDir(link)).path).toBe(model);
  });

  it('names what is wrong: relative, missing, not a model', async () => {
    const { root } = modelFolder();
    expect(await named(modelDir('model'))).toBe('BadPath');
    expect(await named(modelDir(join(root, 'nope')))).toBe('NoSuchFolder');
    expect(await named(modelDir(root))).toBe('NotAModelFolder');
    expect(await named(modelDir(join(root, 'secret.txt')))).toBe('NotAModelFolder');
  });
});

describe('writeFileAtomic', () => {
  it('writes the whole file and leaves no temp file', async () => {
    const d = dir();
    await writeFileAtomic(join(d, 'a.json'), '{"a":1}');
    await writeFileAtomic(join(d, 'a.json'), new Uint8Array([0x7b, 0x7d]));
    expect(readFileSync(join(d, 'a.json'), 'utf8')).toBe('{}');
    expect(readdirSync(d)).toEqual(['a.json']);
  });

  it('writes to a temp file in the same folder, then renames it over the target', async () => {
    const d = dir();
    writeFileSync(join(d, 'a.json'), 'old');
    let seen: { temp: string; target: string; tempContent: string } | null = null;
    await writeFileAtomic(join(d, 'a.json'), 'new', {
      beforeRename: (temp) => {
        seen = { temp, target: readFileSync(join(d, 'a.json'), 'utf8'), tempContent: readFileSync(temp, 'utf8') };
      },
    });
    expect(seen).toMatchObject({ target: 'old', tempContent: 'new' });
    expect(seen!.temp.startsWith(`${d}/.a.json.`)).toBe(true);
    expect(readFileSync(join(d, 'a.json'), 'utf8')).toBe('new');
    expect(readdirSync(d)).toEqual(['a.json']);
  });

  it('on failure keeps the old file whole and removes the temp file', async () => {
    const d = dir();
    writeFileSync(join(d, 'a.json'), 'old');
    const failing = writeFileAtomic(join(d, 'a.json'), 'x'.repeat(100_000), {
      beforeRename: () => {
        throw new Error('disk full');
      },
    });
    await expect(failing).rejects.toThrow('disk full');
    expect(readFileSync(join(d, 'a.json'), 'utf8')).toBe('old');
    expect(readdirSync(d)).toEqual(['a.json']);
    // A rename that fails (the target is a non-empty directory) leaves no temp file either.
    mkdirSync(join(d, 'b'));
    writeFileSync(join(d, 'b', 'keep'), 'k');
    await expect(writeFileAtomic(join(d, 'b'), 'x')).rejects.toThrow();
    expect(readdirSync(d).sort()).toEqual(['a.json', 'b']);
    // A missing folder fails without creating anything.
    await expect(writeFileAtomic(join(d, 'nope', 'c.json'), 'x')).rejects.toThrow();
  });
});

describe('safeFileName', () => {
  it('keeps plain names and defuses paths and reserved characters', () => {
    expect(safeFileName('trace.json')).toBe('trace.json');
    expect(safeFileName('../../etc/passwd')).toBe('passwd');
    expect(safeFileName('..\\..\\boot.ini')).toBe('boot.ini');
    expect(safeFileName('a:b*c?.png')).toBe('a_b_c_.png');
    expect(safeFileName('..')).toBe('export');
    expect(safeFileName('CON')).toBe('export');
  });
});

describe('settings', () => {
  it('addRecent puts the path first, once, and keeps at most 9', () => {
    expect(addRecent(['/b', '/a'], '/a')).toEqual(['/a', '/b']);
    const many = Array.from({ length: 9 }, (_, i) => `/m${i}`);
    const r = addRecent(many, '/new');
    expect(r).toHaveLength(9);
    expect(r[0]).toBe('/new');
    expect(r).not.toContain('/m8');
  });

  it('parseSettings keeps the good fields of a damaged record', () => {
    expect(parseSettings(null)).toEqual(DEFAULT_SETTINGS);
    expect(parseSettings([1, 2])).toEqual(DEFAULT_SETTINGS);
    const s = parseSettings({
      version: 1,
      recent: ['/a', 7, '/a', '', '/b', ...Array.from({ length: 12 }, (_, i) => `/m${i}`)],
      window: { x: 'left' },
      lastModel: 'sample:regla',
      panel: 5,
      extra: true,
    });
    expect(s.recent).toEqual(['/a', '/b', '/m0', '/m1', '/m2', '/m3', '/m4', '/m5', '/m6']);
    expect(s.window).toBeNull();
    expect(s.lastModel).toBe('sample:regla');
    expect(s.panel).toBeNull();
  });

  it('a missing file gives the defaults; writes are atomic JSON that loads back', async () => {
    const d = dir();
    const file = join(d, 'settings.json');
    const store = new SettingsStore(file, () => undefined);
    expect(await store.load()).toEqual(DEFAULT_SETTINGS);
    await store.update((s) => ({ ...s, recent: ['/m/regla'], window: { x: 1, y: 2, width: 900, height: 600, maximized: true } }));
    await store.patch({ panel: 'gates' });
    await store.flush();
    expect(readdirSync(d)).toEqual(['settings.json']);
    const again = new SettingsStore(file, () => undefined);
    expect(await again.load()).toEqual({ version: 1, recent: ['/m/regla'], window: { x: 1, y: 2, width: 900, height: 600, maximized: true }, lastModel: null, panel: 'gates' });
  });

  it('bad JSON on disk gives the defaults, keeps the bad file aside and does not crash', async () => {
    const d = dir();
    const file = join(d, 'settings.json');
    writeFileSync(file, '{"version":1,"recent":["/a"');
    const logs: string[] = [];
    const store = new SettingsStore(file, (m) => logs.push(m));
    expect(await store.load()).toEqual(DEFAULT_SETTINGS);
    expect(readFileSync(`${file}.bad`, 'utf8')).toBe('{"version":1,"recent":["/a"');
    expect(logs.join('\n')).toMatch(/not JSON/);
    await store.patch({ lastModel: 'sample:gla' });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ lastModel: 'sample:gla' });
  });

  it('refuses an invalid update without touching the file', async () => {
    const d = dir();
    const file = join(d, 'settings.json');
    const store = new SettingsStore(file, () => undefined);
    await store.load();
    await store.patch({ panel: 'state' });
    expect(() => store.update((s) => ({ ...s, recent: Array.from({ length: 10 }, (_, i) => `/m${i}`) }))).toThrow();
    expect(store.current.panel).toBe('state');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ recent: [], panel: 'state' });
  });
});

describe('IPC handlers (fake dialogs, real files, makeHandler around each)', () => {
  const from = { senderFrame: { url: `${APP_ORIGIN}/index.html` } };
  function setup(dialogs: { dir?: string | null; save?: string | null } = {}) {
    const d = dir();
    const settings = new SettingsStore(join(d, 'settings.json'), () => undefined);
    const recentSeen: string[][] = [];
    const saveAsked: string[] = [];
    const deps: HandlerDeps = {
      folders: new FolderAllowlist(),
      settings,
      version: () => ({ app: '0', electron: '1', chrome: '2', node: '3', platform: 'linux', arch: 'x64' }),
      chooseDirectory: async () => dialogs.dir ?? null,
      chooseSavePath: async (p) => (saveAsked.push(p), dialogs.save ?? null),
      chooseOpenPath: async () => null,
      defaultSaveDir: d,
      recentChanged: (r) => recentSeen.push([...r]),
    };
    const impl = implementations(deps);
    const call = <C extends Channel>(c: C, ...args: unknown[]) => makeHandler(c, impl[c], APP_ORIGIN)(from, ...args);
    return { call, settings, recentSeen, saveAsked, dir: d };
  }

  it('folder:pick allows the folder, adds it to recent and rebuilds the menu; cancel gives null', async () => {
    const { model, root } = modelFolder();
    const { call, settings, recentSeen } = setup({ dir: model });
    await expect(call(CHANNEL.pickFolder)).resolves.toEqual({ ok: true, value: { path: model, name: 'model' } });
    expect(settings.current.recent).toEqual([model]);
    expect(recentSeen).toEqual([[model]]);
    const size = await call(CHANNEL.folderSize, model, 'model.safetensors');
    expect(size).toEqual({ ok: true, value: 256 });
    const read = await call(CHANNEL.readFile, model, 'model.safetensors', 1, 2);
    expect(read.ok && [...read.value]).toEqual([1, 2]);
    // Outside the picked folder: named errors, never bytes.
    await expect(call(CHANNEL.readFile, model, '../secret.txt')).resolves.toMatchObject({ ok: false, error: { name: 'BadFileName' } });
    await expect(call(CHANNEL.readFile, root, 'secret.txt')).resolves.toMatchObject({ ok: false, error: { name: 'ForbiddenFolder' } });
    await expect(setup({ dir: null }).call(CHANNEL.pickFolder)).resolves.toEqual({ ok: true, value: null });
  });

  it('folder:pick of a folder that is not a model fails with NotAModelFolder and changes nothing', async () => {
    const { root } = modelFolder();
    const { call, settings } = setup({ dir: root });
    await expect(call(CHANNEL.pickFolder)).resolves.toMatchObject({ ok: false, error: { name: 'NotAModelFolder' } });
    expect(settings.current.recent).toEqual([]);
    await expect(call(CHANNEL.folderSize, root, 'secret.txt')).resolves.toMatchObject({ ok: false, error: { name: 'ForbiddenFolder' } });
  });

  it('folder:drop validates the path the preload derived from a dropped File before allowing it', async () => {
    const { model, root } = modelFolder();
    const { call } = setup();
    await expect(call(CHANNEL.folderSize, model, 'config.json')).resolves.toMatchObject({ ok: false, error: { name: 'ForbiddenFolder' } });
    await expect(call(CHANNEL.openDropped, 'model')).resolves.toMatchObject({ ok: false, error: { name: 'BadPath' } });
    await expect(call(CHANNEL.openDropped, root)).resolves.toMatchObject({ ok: false, error: { name: 'NotAModelFolder' } });
    await expect(call(CHANNEL.folderSize, root, 'secret.txt')).resolves.toMatchObject({ ok: false, error: { name: 'ForbiddenFolder' } });
    await expect(call(CHANNEL.openDropped, join(model, 'config.json'))).resolves.toEqual({ ok: true, value: { path: model, name: 'model' } });
    await expect(call(CHANNEL.folderSize, model, 'config.json')).resolves.toEqual({ ok: true, value: 22 });
  });

  it('folder:recent resolves an index against main\'s own recent list, then allows that folder', async () => {
    const a = modelFolder().model;
    const b = modelFolder().model;
    const { call, settings, recentSeen } = setup();
    await settings.update((s) => ({ ...s, recent: [a, b] }));
    await expect(call(CHANNEL.folderSize, b, 'config.json')).resolves.toMatchObject({ ok: false, error: { name: 'ForbiddenFolder' } });
    await expect(call(CHANNEL.openRecent, 1)).resolves.toEqual({ ok: true, value: { path: b, name: 'model' } });
    await expect(call(CHANNEL.folderSize, b, 'config.json')).resolves.toEqual({ ok: true, value: 22 });
    // Reopened: first in the list, and the menu is rebuilt.
    expect(settings.current.recent).toEqual([b, a]);
    expect(recentSeen.at(-1)).toEqual([b, a]);
    // Only the one reopened: the other entry stays unreadable until it is opened too.
    await expect(call(CHANNEL.folderSize, a, 'config.json')).resolves.toMatchObject({ ok: false, error: { name: 'ForbiddenFolder' } });
  });

  it('folder:recent: out of range → NoSuchRecent, a path or a bad index → ValidationError; nothing allowed', async () => {
    const { model } = modelFolder();
    const { call, settings } = setup();
    await settings.update((s) => ({ ...s, recent: [model] }));
    await expect(call(CHANNEL.openRecent, 1)).resolves.toMatchObject({ ok: false, error: { name: 'NoSuchRecent' } });
    await expect(call(CHANNEL.openRecent, 8)).resolves.toMatchObject({ ok: false, error: { name: 'NoSuchRecent' } });
    for (const bad of [9, -1, 0.5, '0', model]) {
      await expect(call(CHANNEL.openRecent, bad), String(bad)).resolves.toMatchObject({ ok: false, error: { name: 'ValidationError' } });
    }
    await expect(call(CHANNEL.folderSize, model, 'config.json')).resolves.toMatchObject({ ok: false, error: { name: 'ForbiddenFolder' } });
    expect(settings.current.recent).toEqual([model]);
  });

  it('folder:recent: an entry that lost its config.json → NotAModelFolder, a vanished one → NoSuchFolder; nothing allowed', async () => {
    const { model } = modelFolder();
    const gone = join(dir(), 'gone');
    const { call, settings } = setup();
    await settings.update((s) => ({ ...s, recent: [model, gone] }));
    rmSync(join(model, 'config.json'));
    await expect(call(CHANNEL.openRecent, 0)).resolves.toMatchObject({ ok: false, error: { name: 'NotAModelFolder' } });
    await expect(call(CHANNEL.folderSize, model, 'model.safetensors')).resolves.toMatchObject({ ok: false, error: { name: 'ForbiddenFolder' } });
    await expect(call(CHANNEL.openRecent, 1)).resolves.toMatchObject({ ok: false, error: { name: 'NoSuchFolder' } });
    expect(settings.current.recent).toEqual([model, gone]);
  });

  it('file:save asks where (a safe default name), writes atomically and answers the path; cancel writes nothing', async () => {
    const out = dir();
    const target = join(out, 'trace.json');
    const s = setup({ save: target });
    const bytes = new TextEncoder().encode('{"traceEvents":[]}');
    await expect(s.call(CHANNEL.saveFile, '../../trace.json', bytes, [{ name: 'JSON', extensions: ['json'] }])).resolves.toEqual({ ok: true, value: target });
    expect(s.saveAsked).toEqual([join(s.dir, 'trace.json')]);
    expect(readFileSync(target, 'utf8')).toBe('{"traceEvents":[]}');
    expect(readdirSync(out)).toEqual(['trace.json']);
    // The next dialog starts where the last file went.
    await s.call(CHANNEL.saveFile, 'b.png', bytes, []);
    expect(s.saveAsked[1]).toBe(join(out, 'b.png'));
    const c = setup({ save: null });
    await expect(c.call(CHANNEL.saveFile, 'x.png', bytes, [])).resolves.toEqual({ ok: true, value: null });
    expect(readdirSync(c.dir)).toEqual([]);
  });

  it('settings:get / settings:set (renderer fields only)', async () => {
    const { call } = setup();
    await expect(call(CHANNEL.setSettings, { panel: 'kernels', lastModel: 'sample:regla' })).resolves.toMatchObject({ ok: true, value: { panel: 'kernels', lastModel: 'sample:regla', recent: [] } });
    await expect(call(CHANNEL.setSettings, { recent: ['/etc'] })).resolves.toMatchObject({ ok: false, error: { name: 'ValidationError' } });
    await expect(call(CHANNEL.getSettings)).resolves.toMatchObject({ ok: true, value: { panel: 'kernels', recent: [] } });
  });
});
