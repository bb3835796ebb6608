// Session bundles through Electron, in Node without Electron: the file:open handler (open dialog
// faked, real files: the size cap checked before reading, named errors for directories, missing
// and oversized files, zod-validated filters, the sender's origin), and the renderer's Electron
// host end to end — electronHost → the real preload → a structured-cloning fake ipcRenderer →
// makeHandler → the real handlers — saving a bundle with file:save and opening it with file:open.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { APP_ORIGIN } from '../../electron.config.js';
import { FolderAllowlist, readWholeFile } from '../../main/app/files.js';
import { implementations, type HandlerDeps } from '../../main/app/handlers.js';
import { menuTemplate } from '../../main/app/menu.js';
import { SettingsStore } from '../../main/app/settings.js';
import { CHANNEL, MAX_OPEN_BYTES, contract, type Api, type Channel } from '../../main/ipc/contract.js';
import { makeHandler } from '../../main/ipc/handle.js';
import { electronHost } from '../../renderer/host/electron.js';
import { BUNDLE_EXTENSION, decodeSession, encodeSession, type SessionSnapshot } from '../../renderer/session/bundle.js';
import { TokenMatrix, parseConfig } from '../../shaders/index.js';

const rec = vi.hoisted(() => ({
  exposed: new Map<string, unknown>(),
  handlers: new Map<string, (event: { senderFrame: { url: string } }, ...args: unknown[]) => Promise<unknown>>(),
  dialogs: { open: null as string | null, save: null as string | null, openAsked: [] as unknown[] },
}));

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => rec.exposed.set(key, value) },
  ipcRenderer: {
    invoke: async (channel: string, ...args: unknown[]) => {
      const h = rec.handlers.get(channel);
      if (!h) throw new Error(`No handler registered for '${channel}'`);
      return structuredClone(await h({ senderFrame: { url: 'app://regla/index.html' } }, ...structuredClone(args)));
    },
    on: () => undefined,
    removeListener: () => undefined,
  },
  webUtils: { getPathForFile: () => '' },
}));

const work = mkdtempSync(join(tmpdir(), 'regla-bundle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const FROM_APP = { senderFrame: { url: `${APP_ORIGIN}/index.html` } };
const FILTERS = [{ name: 'ReGLA session', extensions: [BUNDLE_EXTENSION] }];
let impl: ReturnType<typeof implementations>;
let api: Api;

function deps(): HandlerDeps {
  return {
    folders: new FolderAllowlist(),
    settings: new SettingsStore(join(work, 'settings.json'), () => undefined),
    version: () => ({ app: '0', electron: '1', chrome: '2', node: '3', platform: 'linux', arch: 'x64' }),
    chooseDirectory: async () => null,
    chooseSavePath: async () => rec.dialogs.save,
    chooseOpenPath: async (filters) => (rec.dialogs.openAsked.push(filters), rec.dialogs.open),
    defaultSaveDir: work,
    recentChanged: () => undefined,
  };
}

beforeAll(async () => {
  impl = implementations(deps());
  const register = <C extends Channel>(c: C) => rec.handlers.set(c, makeHandler(c, impl[c], APP_ORIGIN));
  for (const c of Object.values(CHANNEL)) register(c);
  await import('../../main/preload/preload.js');
  api = rec.exposed.get('api') as Api;
});

const call = <C extends Channel>(c: C, ...args: unknown[]) => makeHandler(c, impl[c], APP_ORIGIN)(FROM_APP, ...args);

/** A small session: one run of the ReGLA sample with a capture record and a dump. */
function session(): SessionSnapshot {
  const ref = { key: 'sample:regla', name: 'regla', kind: 'sample' as const, variant: 'regla' };
  const config = parseConfig(JSON.parse(readFileSync(join(import.meta.dirname, '../../samples/models/regla/config.json'), 'utf8')));
  return {
    savedAt: '2026-12-02T16:00:00.000Z',
    gpu: null,
    capture: { quantities: ['gate'], dumpPoints: ['gate.a'] },
    models: [{ ref, config, hash: null }],
    runs: [
      {
        id: 'run1',
        model: ref,
        prompt: 'hi',
        sampling: { temperature: 0, seed: 3 },
        interventions: [],
        maxTokens: 2,
        status: 'done',
        error: null,
        tokens: [{ pos: 0, id: 5, text: 'hi', prompt: true, logprob: null, entropy: null, top: [] }],
        promptLength: 1,
        stats: { prefillMs: 1, decodeMs: 0, generated: 0, stopReason: 'length' },
        analysis: {
          T: 1,
          ms: 2,
          records: [{ layer: 0, point: 'attn.o', pos0: 0, T: 1, tokenNorm: new TokenMatrix(1, 2, Float32Array.of(NaN, -0)) }],
          dumps: new Map([['gate.a@0', { layer: 0, point: 'gate.a' as const, pos0: 0, rows: 1, rowShape: [2, 64], data: new Float32Array(128).fill(0.5) }]]),
        },
        attention: null,
        profile: null,
      },
    ],
    ui: { currentRun: 'run1', compare: [], sharedScale: true, hoverToken: null, lockedToken: 0, layer: 0, head: 0, gateQuantity: 'F', scale: 'linear', tokenMetric: 'logprob', threshold: 0.05, panel: 'gates', activeModel: 'sample:regla', derivedFrom: {}, tourStep: 0, tourCompare: null },
  };
}

describe('file:open (main)', () => {
  it('answers the chosen file by name (never its path) and bytes; cancel is null', async () => {
    const path = join(work, 'a.reglasession');
    writeFileSync(path, Uint8Array.of(1, 2, 3));
    rec.dialogs.open = path;
    const r = await call(CHANNEL.openFile, FILTERS);
    expect(r).toEqual({ ok: true, value: { name: 'a.reglasession', bytes: Uint8Array.of(1, 2, 3) } });
    expect(rec.dialogs.openAsked.at(-1)).toEqual(FILTERS);
    rec.dialogs.open = null;
    await expect(call(CHANNEL.openFile, FILTERS)).resolves.toEqual({ ok: true, value: null });
  });

  it('refuses oversized files before reading them, and names directories, missing files and relative paths', async () => {
    const big = join(work, 'big.reglasession');
    writeFileSync(big, '');
    truncateSync(big, MAX_OPEN_BYTES + 1); // sparse: nothing is written, and nothing may be read
    rec.dialogs.open = big;
    await expect(call(CHANNEL.openFile, FILTERS)).resolves.toMatchObject({ ok: false, error: { name: 'FileTooLarge' } });
    const dir = join(work, 'dir.reglasession');
    mkdirSync(dir);
    for (const [path, name] of [
      [dir, 'NotAFile'],
      [join(work, 'nope.reglasession'), 'NoSuchFile'],
      ['relative.reglasession', 'BadPath'],
    ] as const) {
      rec.dialogs.open = path;
      await expect(call(CHANNEL.openFile, FILTERS), path).resolves.toMatchObject({ ok: false, error: { name } });
    }
    const small = join(work, 'small.bin');
    writeFileSync(small, new Uint8Array(10));
    await expect(readWholeFile(small, 9)).rejects.toMatchObject({ name: 'FileTooLarge' });
    expect((await readWholeFile(small, 10)).length).toBe(10);
  });

  it('validates its arguments and its answer with zod, and only serves the app origin', async () => {
    rec.dialogs.open = null;
    for (const bad of [[], ['x'], [[{ name: 'x', extensions: ['../evil'] }]], [FILTERS, 'extra'], [Array.from({ length: 9 }, () => FILTERS[0])]]) {
      await expect(call(CHANNEL.openFile, ...bad), JSON.stringify(bad)).resolves.toMatchObject({ ok: false, error: { name: 'ValidationError' } });
    }
    const answers = (v: unknown) => contract[CHANNEL.openFile].response.safeParse(v).success;
    expect(answers(null)).toBe(true);
    expect(answers({ name: 'a.reglasession', bytes: new Uint8Array(1) })).toBe(true);
    expect(answers({ name: 'a.reglasession', bytes: new Uint8Array(1), path: '/x' })).toBe(false);
    expect(answers({ name: '', bytes: new Uint8Array(1) })).toBe(false);
    expect(answers({ name: 'a', bytes: [1] })).toBe(false);
    const other = await makeHandler(CHANNEL.openFile, impl[CHANNEL.openFile], APP_ORIGIN)({ senderFrame: { url: 'https://evil.example/' } }, FILTERS);
    expect(other).toMatchObject({ ok: false, error: { name: 'ForbiddenSender' } });
  });

  it('the File menu sends session.open / session.save', () => {
    const command = vi.fn();
    const file = menuTemplate([], 'linux', { command, clearRecent: () => undefined })[0]?.submenu as Array<{ id?: string; click?: () => void }>;
    for (const id of ['session.open', 'session.save']) {
      file.find((i) => i.id === id)?.click?.();
      expect(command.mock.lastCall).toEqual([id]);
    }
  });
});

describe('the Electron host saves and reopens a bundle (preload → IPC → main → disk)', () => {
  it('file:save writes the bundle atomically, file:open reads it back, and it decodes to the same session', async () => {
    const host = electronHost(api, { listSamples: async () => [], sampleFolder: () => ({ name: 'x', size: async () => null, read: async () => new Uint8Array(0) }) });
    const s = session();
    const bytes = encodeSession(s);
    const target = join(work, 'saved.reglasession');
    rec.dialogs.save = target;
    await host.save('regla.reglasession', new Blob([bytes as Uint8Array<ArrayBuffer>]));
    expect(new Uint8Array(readFileSync(target))).toEqual(bytes);
    rec.dialogs.open = target;
    const opened = await host.openFile({ name: 'ReGLA session', extensions: [BUNDLE_EXTENSION] });
    expect(opened?.name).toBe('saved.reglasession');
    expect(rec.dialogs.openAsked.at(-1)).toEqual(FILTERS);
    expect(decodeSession(opened!.bytes, opened!.name)).toEqual(s);
    rec.dialogs.open = null;
    await expect(host.openFile({ name: 'ReGLA session', extensions: [BUNDLE_EXTENSION] })).resolves.toBeNull();
    rec.dialogs.open = join(work, 'missing.reglasession');
    await expect(host.openFile({ name: 'ReGLA session', extensions: [BUNDLE_EXTENSION] })).rejects.toMatchObject({ name: 'NoSuchFile' });
  });
});
