// IPC channel names, apart from their zod schemas (contract.ts) so the sandboxed preload can
// import them without bundling zod.

/** `window.api` function → invoke channel name (renderer → main, answered with a Result). */
export const CHANNEL = {
  version: 'app:version',
  pickFolder: 'folder:pick',
  /** Only the preload calls it, with the path webUtils.getPathForFile gave for a dropped File. */
  openDropped: 'folder:drop',
  /** An entry of main's own recent list, by index: no path crosses IPC. */
  openRecent: 'folder:recent',
  folderSize: 'folder:size',
  readFile: 'folder:read',
  saveFile: 'file:save',
  /** Open dialog for one file (a session bundle), then its bytes; no path goes either way. */
  openFile: 'file:open',
  getSettings: 'settings:get',
  setSettings: 'settings:set',
} as const;

export type Channel = (typeof CHANNEL)[keyof typeof CHANNEL];

/** Events main sends to the renderer (webContents.send); the preload exposes a subscribe function each. */
export const EVENT = { command: 'menu:command' } as const;

/** Menu command ids; `recent.<i>` (i = 0…8) names an entry of main's recent list by index (no path). */
export const COMMANDS = ['model.open', 'session.open', 'session.save', 'export.trace', 'export.panel.png', 'export.panel.svg', 'export.capture', 'palette', 'help'] as const;
export type StaticCommandId = (typeof COMMANDS)[number];
export type CommandId = StaticCommandId | `recent.${number}`;

/** Recent folders kept (and the Ctrl/Cmd+1…9 accelerators they get). */
export const MAX_RECENT = 9;

/** The most bytes one folder:read call returns; the renderer's reader splits larger reads. */
export const MAX_READ_BYTES = 64 * 1024 * 1024;

/** The most bytes one file:save call writes. */
export const MAX_SAVE_BYTES = 1024 * 1024 * 1024;

/** The largest file file:open reads (a session bundle): what file:save may write. */
export const MAX_OPEN_BYTES = MAX_SAVE_BYTES;

/** The recent-list index in a `recent.<i>` command id (0…MAX_RECENT-1), else null. */
export function recentIndex(id: string): number | null {
  const m = /^recent\.(\d)$/.exec(id);
  const i = m ? Number(m[1]) : NaN;
  return i < MAX_RECENT ? i : null;
}

/** True for a command payload main may send: exactly {id} with a known id or recent.<0…8>; no argument, never a path. */
export function isMenuCommand(v: unknown): v is { id: CommandId } {
  if (typeof v !== 'object' || v === null) return false;
  const { id, ...rest } = v as { id?: unknown };
  if (Object.keys(rest).length > 0 || typeof id !== 'string') return false;
  return recentIndex(id) !== null || (COMMANDS as readonly string[]).includes(id);
}
