// IPC channel names, apart from their zod schemas (contract.ts) so the sandboxed preload can
// import them without bundling zod.

/** `window.api` function → invoke channel name (renderer → main, answered with a Result). */
export const CHANNEL = {
  version: 'app:version',
  pickFolder: 'folder:pick',
  openFolder: 'folder:open',
  folderSize: 'folder:size',
  readFile: 'folder:read',
  saveFile: 'file:save',
  getSettings: 'settings:get',
  setSettings: 'settings:set',
} as const;

export type Channel = (typeof CHANNEL)[keyof typeof CHANNEL];

/** Events main sends to the renderer (webContents.send); the preload exposes a subscribe function each. */
export const EVENT = { command: 'menu:command' } as const;

/** Menu command ids without an argument; `recent.<i>` (i = 0…8) carries the folder's path. */
export const COMMANDS = ['model.open', 'export.trace', 'export.panel.png', 'export.panel.svg', 'export.capture', 'palette', 'help'] as const;
export type StaticCommandId = (typeof COMMANDS)[number];
export type CommandId = StaticCommandId | `recent.${number}`;

/** Recent folders kept (and the Ctrl/Cmd+1…9 accelerators they get). */
export const MAX_RECENT = 9;

/** The most bytes one folder:read call returns; the renderer's reader splits larger reads. */
export const MAX_READ_BYTES = 64 * 1024 * 1024;

/** The most bytes one file:save call writes. */
export const MAX_SAVE_BYTES = 1024 * 1024 * 1024;

/** True for a command payload main may send: a known id, and a string argument only for recent.<i>. */
export function isMenuCommand(v: unknown): v is { id: CommandId; arg?: string } {
  if (typeof v !== 'object' || v === null) return false;
  const { id, arg, ...rest } = v as { id?: unknown; arg?: unknown };
  if (Object.keys(rest).length > 0 || typeof id !== 'string') return false;
  const recent = /^recent\.(\d)$/.exec(id);
  if (recent) return Number(recent[1]) < MAX_RECENT && typeof arg === 'string' && arg.length > 0;
  return (COMMANDS as readonly string[]).includes(id) && arg === undefined;
}
