// The app's one Runner (and Host), handed to panels through React context instead of a global,
// so tests can render panels with their own.

import { createContext, useContext, useEffect, useState } from 'react';
import type { Host, SampleEntry } from '../host/host.js';
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

/** The host's bundled samples (empty until listed, or when the host has none). */
export function useSamples(): SampleEntry[] {
  const { host } = useServices();
  const [samples, setSamples] = useState<SampleEntry[]>([]);
  useEffect(() => {
    let live = true;
    host
      .listSamples()
      .then((l) => {
        if (live) setSamples(l);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [host]);
  return samples;
}
