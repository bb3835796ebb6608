// The application menu as a pure function of the recent folders and the platform (Node tests
// cover it; main.ts builds it with Menu.buildFromTemplate). Every item of ours sends a command id
// the renderer understands on menu:command; roles cover the rest (edit, reload, quit, ...).

import type { MenuItemConstructorOptions } from 'electron';
import { MAX_RECENT, type CommandId } from '../ipc/contract.js';

/** Electron's menu item options (re-exported so tests need not import electron). */
export type MenuItem = MenuItemConstructorOptions;

export interface MenuActions {
  /** Sends menu:command {id} to the focused window (recent.<i>: the renderer asks main for entry i). */
  command(id: CommandId): void;
  /** Empties the recent-folder list (main's own, the renderer is not involved). */
  clearRecent(): void;
}

export interface MenuOptions {
  /** Adds Toggle DevTools (development builds only). */
  dev?: boolean;
  /** The app menu's title on macOS. */
  appName?: string;
}

/** Linux and Windows read '&' in a label as a mnemonic marker: double it to show it. */
export function escapeLabel(text: string): string {
  return text.replace(/&/g, '&&');
}

export function menuTemplate(
  recent: readonly string[],
  platform: string,
  actions: MenuActions = { command: () => undefined, clearRecent: () => undefined },
  options: MenuOptions = {},
): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const item = (id: CommandId, label: string, accelerator?: string): MenuItemConstructorOptions => ({
    id,
    label,
    ...(accelerator ? { accelerator } : {}),
    click: () => actions.command(id),
  });

  const shown = recent.slice(0, MAX_RECENT);
  const recentItems: MenuItemConstructorOptions[] =
    shown.length === 0
      ? [{ id: 'recent.none', label: 'No Recent Folders', enabled: false }]
      : shown.map((path, i) => item(`recent.${i}`, escapeLabel(path), `CmdOrCtrl+${i + 1}`));

  const file: MenuItemConstructorOptions = {
    label: mac ? 'File' : '&File',
    submenu: [
      item('model.open', 'Open Model Folder…', 'CmdOrCtrl+O'),
      {
        id: 'recent',
        label: 'Open Recent',
        submenu: [
          ...recentItems,
          { type: 'separator' },
          { id: 'recent.clear', label: 'Clear Recent', enabled: shown.length > 0, click: () => actions.clearRecent() },
        ],
      },
      { type: 'separator' },
      item('session.open', 'Open Session…', 'CmdOrCtrl+Shift+O'),
      item('session.save', 'Save Session…', 'CmdOrCtrl+S'),
      { type: 'separator' },
      item('export.trace', 'Export Trace…'),
      item('export.panel.png', 'Export Panel as PNG…'),
      item('export.panel.svg', 'Export Panel as SVG…'),
      item('export.capture', 'Export Capture…'),
      ...(mac ? [] : [{ type: 'separator' } as const, { role: 'quit', label: 'Quit', accelerator: 'CmdOrCtrl+Q' } as const]),
    ],
  };

  // '?' without a modifier must stay typable in text fields: shown, never registered (and
  // left off on macOS, where a menu key equivalent would always take it).
  const help: MenuItemConstructorOptions = mac
    ? { id: 'help', label: 'Keyboard Shortcuts (?)', click: () => actions.command('help') }
    : { ...item('help', 'Keyboard Shortcuts', '?'), registerAccelerator: false };

  const view: MenuItemConstructorOptions = {
    label: mac ? 'View' : '&View',
    submenu: [
      item('palette', 'Command Palette', 'CmdOrCtrl+Shift+P'),
      help,
      { type: 'separator' },
      { role: 'reload' },
      ...(options.dev ? [{ role: 'toggleDevTools' } as const] : []),
      { type: 'separator' },
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };

  const edit: MenuItemConstructorOptions = { role: 'editMenu' };
  return mac
    ? [{ label: options.appName ?? 'ReGLA Studio', role: 'appMenu' }, file, edit, view, { role: 'windowMenu' }]
    : [file, edit, view];
}
