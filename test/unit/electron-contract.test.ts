// The IPC contract's channels beyond app:version: each request tuple and response schema accepts
// what the preload and main send and rejects what they must not, and the menu command payloads.
import { describe, expect, it } from 'vitest';
import { isMenuCommand, recentIndex } from '../../main/ipc/channels.js';
import {
  CHANNEL,
  EVENT,
  MAX_READ_BYTES,
  MAX_RECENT,
  MenuCommand,
  Settings,
  SettingsPatch,
  contract,
  resultSchema,
  type Api,
} from '../../main/ipc/contract.js';
import { READ_CHUNK } from '../../renderer/host/electron.js';

const ok = (c: keyof typeof contract, args: unknown[]) => contract[c].request.safeParse(args).success;
const answers = (c: keyof typeof contract, v: unknown) => contract[c].response.safeParse(v).success;

const SETTINGS: Settings = {
  version: 1,
  recent: ['/models/regla', '/models/gla'],
  window: { x: 10, y: 20, width: 1200, height: 800, maximized: false },
  lastModel: 'sample:regla',
  panel: 'gates',
};

describe('channel names', () => {
  it('are distinct, namespaced, and menu:command is an event, not an invoke channel', () => {
    const names = Object.values(CHANNEL);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^(app|folder|file|settings):[a-z]+$/);
    expect(EVENT.command).toBe('menu:command');
    expect(names).not.toContain(EVENT.command);
  });
});

describe('folder channels', () => {
  it('folder:pick takes nothing and answers a folder or null', () => {
    expect(ok(CHANNEL.pickFolder, [])).toBe(true);
    expect(ok(CHANNEL.pickFolder, ['/x'])).toBe(false);
    expect(answers(CHANNEL.pickFolder, null)).toBe(true);
    expect(answers(CHANNEL.pickFolder, { path: '/m/regla', name: 'regla' })).toBe(true);
    expect(answers(CHANNEL.pickFolder, { path: '/m/regla' })).toBe(false);
    expect(answers(CHANNEL.pickFolder, { path: '/m/regla', name: 'regla', extra: 1 })).toBe(false);
  });

  it('folder:drop (the preload\'s, with a path it derived) takes one non-empty path without NUL', () => {
    expect(CHANNEL.openDropped).toBe('folder:drop');
    expect(ok(CHANNEL.openDropped, ['/m/regla'])).toBe(true);
    expect(ok(CHANNEL.openDropped, [''])).toBe(false);
    expect(ok(CHANNEL.openDropped, ['/m/a\0b'])).toBe(false);
    expect(ok(CHANNEL.openDropped, [42])).toBe(false);
    expect(ok(CHANNEL.openDropped, [])).toBe(false);
    expect(ok(CHANNEL.openDropped, ['x'.repeat(5000)])).toBe(false);
  });

  it('folder:recent takes an index 0…8 into main\'s recent list, never a path', () => {
    expect(CHANNEL.openRecent).toBe('folder:recent');
    for (let i = 0; i < MAX_RECENT; i++) expect(ok(CHANNEL.openRecent, [i]), String(i)).toBe(true);
    for (const bad of [[MAX_RECENT], [-1], [1.5], ['0'], ['/m/regla'], [], [0, 1], [Number.NaN]]) {
      expect(ok(CHANNEL.openRecent, bad), JSON.stringify(bad)).toBe(false);
    }
    expect(answers(CHANNEL.openRecent, { path: '/m/regla', name: 'regla' })).toBe(true);
  });

  it('no channel that opens a folder is reachable through a string-taking Api function', () => {
    expect(Object.keys(CHANNEL)).not.toContain('openFolder');
    expect(Object.values(CHANNEL)).not.toContain('folder:open');
    // Compile-time: the Api has no openFolder, and openDropped wants a File, not a path.
    // @ts-expect-error openFolder(path) was removed from the renderer-facing Api
    type _NoOpenFolder = Api['openFolder'];
    const _dropTakesAFile: Parameters<Api['openDropped']>[0] extends string ? false : true = true;
    const _recentTakesAnIndex: Parameters<Api['openRecent']>[0] extends number ? true : false = true;
    expect([_dropTakesAFile, _recentTakesAnIndex]).toEqual([true, true]);
  });

  it('folder:size takes a folder and a file and answers a byte count or null', () => {
    expect(ok(CHANNEL.folderSize, ['/m', 'config.json'])).toBe(true);
    expect(ok(CHANNEL.folderSize, ['/m', ''])).toBe(false);
    expect(ok(CHANNEL.folderSize, ['/m'])).toBe(false);
    expect(answers(CHANNEL.folderSize, 0)).toBe(true);
    expect(answers(CHANNEL.folderSize, null)).toBe(true);
    expect(answers(CHANNEL.folderSize, -1)).toBe(false);
    expect(answers(CHANNEL.folderSize, 1.5)).toBe(false);
  });

  it('folder:read takes an optional offset and a length capped at MAX_READ_BYTES, and answers bytes', () => {
    expect(ok(CHANNEL.readFile, ['/m', 'model.safetensors'])).toBe(true);
    expect(ok(CHANNEL.readFile, ['/m', 'model.safetensors', 8])).toBe(true);
    expect(ok(CHANNEL.readFile, ['/m', 'model.safetensors', 8, MAX_READ_BYTES])).toBe(true);
    expect(ok(CHANNEL.readFile, ['/m', 'model.safetensors', 8, MAX_READ_BYTES + 1])).toBe(false);
    expect(ok(CHANNEL.readFile, ['/m', 'model.safetensors', -1, 4])).toBe(false);
    expect(ok(CHANNEL.readFile, ['/m', 'model.safetensors', 0.5, 4])).toBe(false);
    expect(ok(CHANNEL.readFile, ['/m', 'model.safetensors', 0, 4, 'extra'])).toBe(false);
    expect(answers(CHANNEL.readFile, new Uint8Array(3))).toBe(true);
    expect(answers(CHANNEL.readFile, Buffer.from('abc'))).toBe(true);
    expect(answers(CHANNEL.readFile, [1, 2, 3])).toBe(false);
    expect(answers(CHANNEL.readFile, new ArrayBuffer(3))).toBe(false);
  });

  it("the renderer's read chunk fits the cap", () => {
    expect(READ_CHUNK).toBeLessThanOrEqual(MAX_READ_BYTES);
    expect(READ_CHUNK).toBeGreaterThan(0);
  });
});

describe('file:save', () => {
  const bytes = new Uint8Array([1, 2, 3]);
  it('takes a name, bytes and file filters, and answers the path or null', () => {
    expect(ok(CHANNEL.saveFile, ['trace.json', bytes, [{ name: 'JSON', extensions: ['json'] }]])).toBe(true);
    expect(ok(CHANNEL.saveFile, ['trace.json', bytes, []])).toBe(true);
    expect(ok(CHANNEL.saveFile, ['trace.json', 'text', []])).toBe(false);
    expect(ok(CHANNEL.saveFile, ['', bytes, []])).toBe(false);
    expect(ok(CHANNEL.saveFile, ['a.png', bytes, [{ name: 'PNG', extensions: ['.png'] }]])).toBe(false);
    expect(ok(CHANNEL.saveFile, ['a.png', bytes, [{ name: 'PNG', extensions: [] }]])).toBe(false);
    expect(ok(CHANNEL.saveFile, ['a.png', bytes, [{ name: 'any', extensions: ['*'] }]])).toBe(true);
    expect(answers(CHANNEL.saveFile, '/home/u/trace.json')).toBe(true);
    expect(answers(CHANNEL.saveFile, null)).toBe(true);
    expect(answers(CHANNEL.saveFile, '')).toBe(false);
  });
});

describe('settings', () => {
  it('Settings accepts a full record and rejects more than 9 recent folders, bad bounds and unknown keys', () => {
    expect(Settings.parse(SETTINGS)).toEqual(SETTINGS);
    expect(Settings.safeParse({ ...SETTINGS, window: null, lastModel: null, panel: null }).success).toBe(true);
    expect(Settings.safeParse({ ...SETTINGS, recent: Array.from({ length: 10 }, (_, i) => `/m/${i}`) }).success).toBe(false);
    expect(Settings.safeParse({ ...SETTINGS, window: { x: 0, y: 0, width: 0, height: 10, maximized: false } }).success).toBe(false);
    expect(Settings.safeParse({ ...SETTINGS, version: 2 }).success).toBe(false);
    expect(Settings.safeParse({ ...SETTINGS, token: 'x' }).success).toBe(false);
  });

  it('settings:set only takes the renderer fields', () => {
    expect(ok(CHANNEL.setSettings, [{ panel: 'gates' }])).toBe(true);
    expect(ok(CHANNEL.setSettings, [{ lastModel: null }])).toBe(true);
    expect(ok(CHANNEL.setSettings, [{}])).toBe(true);
    expect(ok(CHANNEL.setSettings, [{ recent: ['/etc'] }])).toBe(false);
    expect(ok(CHANNEL.setSettings, [{ window: SETTINGS.window }])).toBe(false);
    expect(SettingsPatch.safeParse({ panel: '' }).success).toBe(false);
    expect(resultSchema(CHANNEL.getSettings).safeParse({ ok: true, value: SETTINGS }).success).toBe(true);
    expect(ok(CHANNEL.getSettings, [])).toBe(true);
  });
});

describe('menu:command payloads', () => {
  it('accepts the known ids and recent.<0-8>, each without an argument (no path), and nothing else', () => {
    for (const id of ['model.open', 'session.open', 'session.save', 'export.trace', 'export.panel.png', 'export.panel.svg', 'export.capture', 'palette', 'help']) {
      expect(isMenuCommand({ id }), id).toBe(true);
      expect(MenuCommand.safeParse({ id }).success, id).toBe(true);
      expect(isMenuCommand({ id, arg: '/x' }), id).toBe(false);
    }
    expect(isMenuCommand({ id: 'recent.0' })).toBe(true);
    expect(isMenuCommand({ id: 'recent.8' })).toBe(true);
    expect(MenuCommand.safeParse({ id: 'recent.3' }).success).toBe(true);
    expect(isMenuCommand({ id: 'recent.9' })).toBe(false);
    expect(isMenuCommand({ id: 'recent.10' })).toBe(false);
    expect(isMenuCommand({ id: 'recent.x' })).toBe(false);
    expect(isMenuCommand({ id: 'recent.0', arg: '/m/regla' })).toBe(false);
    expect(MenuCommand.safeParse({ id: 'recent.0', arg: '/m/regla' }).success).toBe(false);
    expect(recentIndex('recent.0')).toBe(0);
    expect(recentIndex('recent.8')).toBe(8);
    expect(recentIndex('recent.9')).toBeNull();
    expect(recentIndex('palette')).toBeNull();
    expect(isMenuCommand({ id: 'reload' })).toBe(false);
    expect(isMenuCommand({ id: 'help', extra: 1 })).toBe(false);
    expect(isMenuCommand(null)).toBe(false);
    expect(isMenuCommand('help')).toBe(false);
    expect(MenuCommand.safeParse({ id: 'nope' }).success).toBe(false);
  });
});
