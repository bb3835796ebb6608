// The app's one Runner (and Host), handed to panels through React context instead of a global,
// so tests can render panels with their own.

import { createContext, useContext } from 'react';
import type { Host } from '../host/host.js';
import type { Runner } from './runner.js';

export interface AppServices {
  runner: Runner | null;
  host: Host;
}

export const ServicesContext = createContext<AppServices | null>(null);

export function useServices(): AppServices {
  const s = useContext(ServicesContext);
  if (!s) throw new Error('useServices outside <ServicesContext.Provider>');
  return s;
}
