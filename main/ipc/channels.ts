// IPC channel names, apart from their zod schemas (contract.ts) so the sandboxed preload can
// import them without bundling zod.

/** `window.api` function → channel name. */
export const CHANNEL = { version: 'app:version' } as const;

export type Channel = (typeof CHANNEL)[keyof typeof CHANNEL];
