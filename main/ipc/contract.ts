// The one IPC contract between the renderer and Electron's main process: each channel's zod
// request/response schemas (names in channels.ts), the Result envelope every handler returns
// (nothing throws across IPC), and the `Api` the preload exposes as `window.api`. No electron
// here: the renderer may `import type` from it and Node tests parse with these schemas directly.

import { z } from 'zod';
import { CHANNEL, type Channel } from './channels.js';

export { CHANNEL, type Channel };

export const VersionInfo = z.strictObject({
  app: z.string().min(1),
  electron: z.string().min(1),
  chrome: z.string().min(1),
  node: z.string().min(1),
  platform: z.string().min(1),
  arch: z.string().min(1),
});
export type VersionInfo = z.infer<typeof VersionInfo>;

/** Channel name → argument tuple and response. One preload function per channel. */
export const contract = {
  [CHANNEL.version]: { request: z.tuple([]), response: VersionInfo },
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

/** What the preload exposes on `window.api` (contextBridge); one function per channel. */
export interface Api {
  version(): Promise<Result<VersionInfo>>;
}

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/** Fails to compile unless every Api function has a channel and every channel a function. */
export type ApiCoversChannels = Assert<Same<keyof Api, keyof typeof CHANNEL>>;
