// The main-process side of the contract, without Electron: wraps a channel's implementation so
// that the sender frame is checked, arguments and the response are validated with the channel's
// schemas, and every outcome becomes a Result (nothing throws across IPC).

import { contract, type Channel, type Request, type Response, type Result } from './contract.js';

/** The part of Electron's IpcMainInvokeEvent the wrapper reads. */
export interface InvokeEventLike {
  readonly senderFrame: { readonly url: string } | null;
}

export type Implementation<C extends Channel> = (...args: Request<C>) => Response<C> | Promise<Response<C>>;

export type InvokeHandler<C extends Channel> = (event: InvokeEventLike, ...args: unknown[]) => Promise<Result<Response<C>>>;

/** True when `url` belongs to `origin` (scheme + host), e.g. app://regla. */
export function isFromOrigin(url: string, origin: string): boolean {
  try {
    // URL.origin is "null" for non-special schemes such as app:, so compare scheme and host.
    const u = new URL(url);
    const o = new URL(origin);
    return o.host !== '' && u.protocol === o.protocol && u.host === o.host;
  } catch {
    return false;
  }
}

function failure(name: string, message: string): { ok: false; error: { name: string; message: string } } {
  return { ok: false, error: { name, message } };
}

export function makeHandler<C extends Channel>(channel: C, impl: Implementation<C>, trustedOrigin: string): InvokeHandler<C> {
  const schema = contract[channel];
  return async (event, ...args) => {
    const url = event.senderFrame?.url ?? '';
    if (!isFromOrigin(url, trustedOrigin)) {
      return failure('ForbiddenSender', `${channel}: refused a call from ${url || 'a destroyed frame'}`);
    }
    const req = schema.request.safeParse(args);
    if (!req.success) return failure('ValidationError', `${channel}: bad arguments: ${req.error.message}`);
    try {
      const value = await impl(...(req.data as Request<C>));
      const res = schema.response.safeParse(value);
      if (!res.success) return failure('ValidationError', `${channel}: bad response: ${res.error.message}`);
      return { ok: true, value: res.data as Response<C> };
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      return failure(err.name, `${channel}: ${err.message}`);
    }
  };
}
