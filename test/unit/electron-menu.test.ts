// The application menu as data (menuTemplate) and window-bounds restoring, without Electron.
import { describe, expect, it, vi } from 'vitest';
import { escapeLabel, menuTemplate, type MenuItem } from '../../main/app/menu.js';
import { restoreBounds } from '../../main/app/window-state.js';
import { WINDOW } from '../../electron.config.js';

type Item = MenuItem;

/** Every item, depth first. */
function flat(items: readonly Item[]): Item[] {
  return items.flatMap((i) => [i, ...(Array.isArray(i.submenu) ? flat(i.submenu as Item[]) : [])]);
}
const byId = (items: readonly Item[], id: string): Item | undefined => flat(items).find((i) => i.id === id);
const click = (i: Item | undefined): void => (i?.click as (() => void) | undefined)?.();

describe('menuTemplate', () => {
  const recent = ['/models/regla', '/models/gla', '/data/R&D/hybrid'];

  it('File has Open Model Folder (Ctrl/Cmd+O), Open Recent, Open / Save Session, the four exports and Quit (not on macOS)', () => {
    for (const platform of ['linux', 'win32', 'darwin']) {
      const t = menuTemplate(recent, platform);
      const file = t.find((m) => m.label === 'File' || m.label === '&File');
      expect(file, platform).toBeDefined();
      const labels = (file?.submenu as Item[]).filter((i) => i.type !== 'separator').map((i) => i.label ?? i.role);
      const expected = ['Open Model Folder…', 'Open Recent', 'Open Session…', 'Save Session…', 'Export Trace…', 'Export Panel as PNG…', 'Export Panel as SVG…', 'Export Capture…'];
      expect(labels, platform).toEqual(platform === 'darwin' ? expected : [...expected, 'Quit']);
      expect(byId(t, 'model.open')?.accelerator).toBe('CmdOrCtrl+O');
      expect(byId(t, 'session.open')?.accelerator).toBe('CmdOrCtrl+Shift+O');
      expect(byId(t, 'session.save')?.accelerator).toBe('CmdOrCtrl+S');
    }
    // macOS: the app menu (which holds Quit) comes first, with an Edit and a Window menu.
    const mac = menuTemplate(recent, 'darwin');
    expect(mac[0]?.role).toBe('appMenu');
    expect(mac.map((m) => m.role ?? m.label)).toEqual(['appMenu', 'File', 'editMenu', 'View', 'windowMenu']);
    expect(menuTemplate(recent, 'linux').map((m) => m.role ?? m.label)).toEqual(['&File', 'editMenu', '&View']);
  });

  it('Open Recent: one entry per folder with Ctrl/Cmd+1…9 sending its index (no path), then Clear Recent', () => {
    const nine = Array.from({ length: 11 }, (_, i) => `/m/${i}`);
    const command = vi.fn();
    const clearRecent = vi.fn();
    const t = menuTemplate(nine, 'linux', { command, clearRecent });
    const sub = byId(t, 'recent')?.submenu as Item[];
    const entries = sub.filter((i) => i.id?.startsWith('recent.') && i.id !== 'recent.clear');
    expect(entries.map((i) => i.id)).toEqual(Array.from({ length: 9 }, (_, i) => `recent.${i}`));
    expect(entries.map((i) => i.accelerator)).toEqual(Array.from({ length: 9 }, (_, i) => `CmdOrCtrl+${i + 1}`));
    expect(entries.map((i) => i.label)).toEqual(nine.slice(0, 9));
    click(entries[4]);
    expect(command).toHaveBeenLastCalledWith('recent.4');
    expect(command.mock.lastCall).toEqual(['recent.4']);
    const clear = sub.at(-1);
    expect(clear?.label).toBe('Clear Recent');
    expect(clear?.enabled).toBe(true);
    click(clear);
    expect(clearRecent).toHaveBeenCalledOnce();
    expect(command).toHaveBeenCalledOnce();
  });

  it('with no recent folders: one disabled placeholder, Clear Recent disabled', () => {
    const sub = byId(menuTemplate([], 'win32'), 'recent')?.submenu as Item[];
    expect(sub[0]).toMatchObject({ label: 'No Recent Folders', enabled: false });
    expect(sub.at(-1)).toMatchObject({ label: 'Clear Recent', enabled: false });
    expect(flat(sub).some((i) => i.accelerator)).toBe(false);
  });

  it("escapes '&' in folder labels (mnemonics on Linux and Windows)", () => {
    expect(escapeLabel('/data/R&D')).toBe('/data/R&&D');
    expect(byId(menuTemplate(recent, 'linux'), 'recent.2')?.label).toBe('/data/R&&D/hybrid');
  });

  it('every item of ours sends the command id the renderer understands', () => {
    const command = vi.fn();
    const t = menuTemplate(recent, 'linux', { command, clearRecent: () => undefined });
    const ids = ['model.open', 'session.open', 'session.save', 'export.trace', 'export.panel.png', 'export.panel.svg', 'export.capture', 'palette', 'help'];
    for (const id of ids) {
      click(byId(t, id));
      expect(command.mock.lastCall, id).toEqual([id]);
    }
    expect(command).toHaveBeenCalledTimes(ids.length);
  });

  it('View: Command Palette (Ctrl/Cmd+Shift+P), Keyboard Shortcuts (? shown, not registered), Reload; DevTools only in dev', () => {
    const t = menuTemplate([], 'linux');
    expect(byId(t, 'palette')?.accelerator).toBe('CmdOrCtrl+Shift+P');
    expect(byId(t, 'help')).toMatchObject({ accelerator: '?', registerAccelerator: false });
    expect(byId(menuTemplate([], 'darwin'), 'help')?.accelerator).toBeUndefined();
    const roles = (tt: Item[]) => flat(tt).map((i) => i.role).filter(Boolean);
    expect(roles(t)).toContain('reload');
    expect(roles(t)).not.toContain('toggleDevTools');
    expect(roles(menuTemplate([], 'linux', undefined, { dev: true }))).toContain('toggleDevTools');
  });

  it('no two items share an id or an accelerator', () => {
    for (const platform of ['linux', 'darwin']) {
      const items = flat(menuTemplate(Array.from({ length: 9 }, (_, i) => `/m/${i}`), platform, undefined, { dev: true }));
      const ids = items.map((i) => i.id).filter(Boolean);
      const keys = items.map((i) => i.accelerator).filter(Boolean);
      expect(new Set(ids).size, platform).toBe(ids.length);
      expect(new Set(keys).size, platform).toBe(keys.length);
    }
  });
});

describe('restoreBounds', () => {
  const primary = { x: 0, y: 0, width: 1920, height: 1040 };
  const right = { x: 1920, y: 0, width: 2560, height: 1400 };
  const d = WINDOW;

  it('without saved state: the default size (shrunk to a small screen), placed by the OS', () => {
    expect(restoreBounds(null, [primary], d)).toEqual({ width: 1440, height: 900, maximized: false });
    expect(restoreBounds(null, [{ x: 0, y: 0, width: 1280, height: 700 }], d)).toEqual({ width: 1280, height: 700, maximized: false });
  });

  it('keeps bounds that are fully visible', () => {
    const saved = { x: 100, y: 50, width: 1200, height: 800, maximized: false };
    expect(restoreBounds(saved, [primary, right], d)).toEqual(saved);
    const onRight = { x: 2100, y: 100, width: 1600, height: 1000, maximized: true };
    expect(restoreBounds(onRight, [primary, right], d)).toEqual(onRight);
  });

  it('moves a window hanging off a display back inside the display it overlaps most', () => {
    expect(restoreBounds({ x: 1500, y: -40, width: 1200, height: 800, maximized: false }, [primary, right], d)).toEqual({
      x: 1920,
      y: 0,
      width: 1200,
      height: 800,
      maximized: false,
    });
    expect(restoreBounds({ x: -300, y: 900, width: 1000, height: 700, maximized: false }, [primary], d)).toEqual({
      x: 0,
      y: 340,
      width: 1000,
      height: 700,
      maximized: false,
    });
  });

  it('shrinks a window larger than its display', () => {
    expect(restoreBounds({ x: 0, y: 0, width: 5000, height: 3000, maximized: false }, [primary], d)).toEqual({ x: 0, y: 0, width: 1920, height: 1040, maximized: false });
  });

  it('centres a window whose display is gone on the primary one', () => {
    expect(restoreBounds({ x: 5000, y: 200, width: 1000, height: 600, maximized: true }, [primary], d)).toEqual({ x: 460, y: 220, width: 1000, height: 600, maximized: true });
  });
});
