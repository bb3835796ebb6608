// The one IPC contract between the renderer and Electron's main process: each channel's zod
// request/response schemas (names in channels.ts), the Result envelope every handler returns
// (nothing throws across IPC), and the `Api` the preload exposes as `window.api`. No electron
// here: the renderer may `import type` from it and Node tests parse with these schemas directly.
//
// Channels (renderer → main, each answered with a Result):
//   app:version                                   → VersionInfo
//   folder:pick                                   → PickedFolder | null   (open-directory dialog)
//   folder:drop(path)                             → PickedFolder          (preload only: a dropped File's path)
//   folder:recent(index)                          → PickedFolder          (main's recent list, by index)
//   folder:size(folder, file)                     → bytes | null          (folders picked/opened only)
//   folder:read(folder, file, offset?, length?)   → Uint8Array            (≤ MAX_READ_BYTES a call)
//   file:save(suggestedName, bytes, filters)      → saved path | null     (save dialog + atomic write)
//   file:open(filters)                            → {name, bytes} | null  (open dialog; ≤ MAX_OPEN_BYTES)
//   settings:get                                  → Settings
//   settings:set(patch)                           → Settings              (the renderer's own fields)
// Events (main → renderer): menu:command {id} (recent.<i> names the entry by index, no path).
// Preload-only (no IPC): pathForFile(File) via webUtils.getPathForFile.
//
// The renderer never hands main a path to open: `window.api.openDropped` takes a File and the
// preload derives its path itself (webUtils.getPathForFile answers '' for a File that page script
// made, so a page cannot forge one), and Open Recent sends an index into main's own list. Paths
// the renderer does send (folder:size, folder:read) only reach folders main has already allowed.
// (This guards against page script, which sees window.api only. folder:drop still takes a path at
// the IPC level: code running in the renderer process below the isolated world could invoke it.)

import { z } from 'zod';
import {
  CHANNEL,
  EVENT,
  MAX_OPEN_BYTES,
  MAX_READ_BYTES,
  MAX_RECENT,
  MAX_SAVE_BYTES,
  isMenuCommand,
  type Channel,
  type CommandId,
} from './channels.js';

export { CHANNEL, EVENT, MAX_OPEN_BYTES, MAX_READ_BYTES, MAX_RECENT, MAX_SAVE_BYTES, type Channel, type CommandId };

export const VersionInfo = z.strictObject({
  app: z.string().min(1),
  electron: z.string().min(1),
  chrome: z.string().min(1),
  node: z.string().min(1),
  platform: z.string().min(1),
  arch: z.string().min(1),
});
export type VersionInfo = z.infer<typeof VersionInfo>;

/** A path as it crosses IPC; main checks that it is absolute and what it names. */
export const FsPath = z
  .string()
  .min(1)
  .max(4096)
  .refine((s) => !s.includes('\0'), 'must not contain NUL');

/** A file inside a folder: main accepts only plain names (no separators, no '..'); see main/app/files.ts. */
export const FileName = z.string().min(1).max(255);

/** A folder main has allowed the renderer to read: `path` is its canonical absolute path. */
export const PickedFolder = z.strictObject({ path: FsPath, name: z.string().min(1).max(255) });
export type PickedFolder = z.infer<typeof PickedFolder>;

const ByteCount = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const Bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected a Uint8Array');

/** A save dialog's file type filter, e.g. {name: 'PNG image', extensions: ['png']}. */
export const FileFilter = z.strictObject({
  name: z.string().min(1).max(100),
  extensions: z
    .array(z.string().regex(/^(\*|[A-Za-z0-9]{1,16})$/))
    .min(1)
    .max(16),
});
export type FileFilter = z.infer<typeof FileFilter>;

/** A file the user chose in an open dialog: its name (never its path) and its bytes. */
export const OpenedFile = z.strictObject({
  name: FileName,
  bytes: Bytes.refine((b) => b.byteLength <= MAX_OPEN_BYTES, `at most ${MAX_OPEN_BYTES} bytes`),
});
export type OpenedFile = z.infer<typeof OpenedFile>;

/** The window's normal (unmaximized) bounds and whether it was maximized. */
export const WindowState = z.strictObject({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().positive().max(100_000),
  height: z.number().int().positive().max(100_000),
  maximized: z.boolean(),
});
export type WindowState = z.infer<typeof WindowState>;

/**
 * Everything persisted in userData/settings.json. `recent` (most recent first) and `window` are
 * main's; `lastModel` and `panel` the renderer's (settings:set may only change those).
 */
export const Settings = z.strictObject({
  version: z.literal(1),
  recent: z.array(FsPath).max(MAX_RECENT),
  window: WindowState.nullable(),
  lastModel: z.string().min(1).max(1000).nullable(),
  panel: z.string().min(1).max(100).nullable(),
});
export type Settings = z.infer<typeof Settings>;

/** What settings:set may change. */
export const SettingsPatch = Settings.pick({ lastModel: true, panel: true }).partial();
export type SettingsPatch = z.infer<typeof SettingsPatch>;

/** An index into main's recent list (Open Recent, Ctrl/Cmd+1…9). */
export const RecentIndex = z.number().int().min(0).max(MAX_RECENT - 1);

/** A menu command sent on menu:command: a known id only; `recent.<i>` names the entry by index. */
export const MenuCommand = z
  .strictObject({ id: z.string() })
  .refine(isMenuCommand, 'unknown menu command') as unknown as z.ZodType<MenuCommand>;
export interface MenuCommand {
  id: CommandId;
}

/** Channel name → argument tuple and response. One preload function per channel. */
export const contract = {
  [CHANNEL.version]: { request: z.tuple([]), response: VersionInfo },
  [CHANNEL.pickFolder]: { request: z.tuple([]), response: PickedFolder.nullable() },
  [CHANNEL.openDropped]: { request: z.tuple([FsPath]), response: PickedFolder },
  [CHANNEL.openRecent]: { request: z.tuple([RecentIndex]), response: PickedFolder },
  [CHANNEL.folderSize]: { request: z.tuple([FsPath, FileName]), response: ByteCount.nullable() },
  [CHANNEL.readFile]: {
    request: z.tuple([FsPath, FileName, ByteCount.optional(), ByteCount.max(MAX_READ_BYTES).optional()]),
    response: Bytes,
  },
  [CHANNEL.saveFile]: {
    request: z.tuple([FileName, Bytes.refine((b) => b.byteLength <= MAX_SAVE_BYTES, `at most ${MAX_SAVE_BYTES} bytes`), z.array(FileFilter).max(8)]),
    response: FsPath.nullable(),
  },
  [CHANNEL.openFile]: { request: z.tuple([z.array(FileFilter).max(8)]), response: OpenedFile.nullable() },
  [CHANNEL.getSettings]: { request: z.tuple([]), response: Settings },
  [CHANNEL.setSettings]: { request: z.tuple([SettingsPatch]), response: Settings },
} as const satisfies Record<Channel, { request: z.ZodType<unknown[]>; response: z.ZodType }>;
export type Request<C extends Channel> = z.infer<(typeof contract)[C]['request']>;
export type Response<C extends Channel> = z.infer<(typeof contract)[C]['response']>;

/** A failure as it crosses IPC: a stable error name (e.g. 'ValidationError') and a message. */
export const IpcError = z.strictObject({ name: z.string(), message: z.string() });
export type IpcError = z.infer<typeof IpcError>;

export type Result<T> = { ok: true; value: T } | { ok: false; error: IpcError };

/** The envelope schema for one channel's response, for callers that re-validate what they get. */
export function resultSchema<C extends Channel>(channel: C) {
  return z.discriminatedUnion('ok', [
    z.strictObject({ ok: z.literal(true), value: contract[channel].response }),
    z.strictObject({ ok: z.literal(false), error: IpcError }),
  ]);
}

/** What the preload exposes on `window.api` (contextBridge). */
export interface Api {
  version(): Promise<Result<VersionInfo>>;
  /** Native open-directory dialog; the folder is allowed for reading and added to the recent list. */
  pickFolder(): Promise<Result<PickedFolder | null>>;
  /**
   * A dropped folder (or a file in it), which must hold config.json. Takes the File itself: the
   * preload derives its path (webUtils.getPathForFile) and sends only that on folder:drop; a File
   * that is not on disk (one page script made) fails with NotOnDisk and nothing reaches main.
   */
  openDropped(file: File): Promise<Result<PickedFolder>>;
  /** Open Recent: entry `index` of main's recent list (NoSuchRecent when there is none). */
  openRecent(index: number): Promise<Result<PickedFolder>>;
  folderSize(folder: string, file: string): Promise<Result<number | null>>;
  readFile(folder: string, file: string, offset?: number, length?: number): Promise<Result<Uint8Array>>;
  /** Save dialog, then an atomic write; the chosen path, or null when cancelled. */
  saveFile(suggestedName: string, bytes: Uint8Array, filters: FileFilter[]): Promise<Result<string | null>>;
  /** Open dialog for one file, then its bytes (FileTooLarge over MAX_OPEN_BYTES); null when cancelled. */
  openFile(filters: FileFilter[]): Promise<Result<OpenedFile | null>>;
  getSettings(): Promise<Result<Settings>>;
  setSettings(patch: SettingsPatch): Promise<Result<Settings>>;
  /** Subscribes to menu:command; returns the unsubscribe. */
  onCommand(listener: (command: MenuCommand) => void): () => void;
  /** The path of a dropped File (webUtils.getPathForFile); '' for files not on disk. No IPC; opens nothing. */
  pathForFile(file: File): string;
}

/** Api functions that are not invoke channels. */
export type LocalApi = 'onCommand' | 'pathForFile';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/** Fails to compile unless every invoke channel has an Api function and every Api function a channel (or is local). */
export type ApiCoversChannels = Assert<Same<Exclude<keyof Api, LocalApi>, keyof typeof CHANNEL>>;
