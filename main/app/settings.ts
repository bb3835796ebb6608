// Settings persisted as JSON in userData/settings.json, without Electron (Node tests cover it).
// Loading never fails: a missing file gives the defaults, a file that is not JSON is kept aside
// (settings.json.bad) and the defaults are used, and a file with some bad fields keeps the good
// ones. Every write is atomic and writes are serialized.

import { readFile, rename } from 'node:fs/promises';
import { MAX_RECENT, Settings, WindowState, type SettingsPatch } from '../ipc/contract.js';
import { writeFileAtomic } from './files.js';

export const DEFAULT_SETTINGS: Settings = Object.freeze({ version: 1, recent: [], window: null, lastModel: null, panel: null }) as Settings;

/** `path` first, without duplicates, at most MAX_RECENT. */
export function addRecent(recent: readonly string[], path: string, max = MAX_RECENT): string[] {
  return [path, ...recent.filter((p) => p !== path)].slice(0, max);
}

/** Settings from any JSON value: each field that fails validation falls back to its default alone. */
export function parseSettings(raw: unknown): Settings {
  const whole = Settings.safeParse(raw);
  if (whole.success) return whole.data;
  const o = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const field = <K extends keyof Settings>(key: K, schema: { safeParse(v: unknown): { success: boolean; data?: unknown } }): Settings[K] => {
    const r = schema.safeParse(o[key]);
    return r.success ? (r.data as Settings[K]) : DEFAULT_SETTINGS[key];
  };
  const recentIn = Array.isArray(o['recent']) ? o['recent'] : [];
  let recent: string[] = [];
  for (const p of recentIn) {
    if (Settings.shape.recent.element.safeParse(p).success && !recent.includes(p as string)) recent.push(p as string);
  }
  recent = recent.slice(0, MAX_RECENT);
  return {
    version: 1,
    recent,
    window: field('window', WindowState.nullable()),
    lastModel: field('lastModel', Settings.shape.lastModel),
    panel: field('panel', Settings.shape.panel),
  };
}

export class SettingsStore {
  #current: Settings = DEFAULT_SETTINGS;
  #writing: Promise<void> = Promise.resolve();

  constructor(
    readonly file: string,
    private readonly log: (message: string) => void = (m) => console.warn(m),
  ) {}

  get current(): Settings {
    return this.#current;
  }

  /** Reads the file (see the header for what happens when it is missing or bad). */
  async load(): Promise<Settings> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.log(`settings: cannot read ${this.file} (${String(e)}); using defaults`);
      this.#current = DEFAULT_SETTINGS;
      return this.#current;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      const aside = `${this.file}.bad`;
      await rename(this.file, aside).catch(() => undefined);
      this.log(`settings: ${this.file} is not JSON (${e instanceof Error ? e.message : String(e)}); kept it as ${aside}, using defaults`);
      this.#current = DEFAULT_SETTINGS;
      return this.#current;
    }
    this.#current = parseSettings(raw);
    return this.#current;
  }

  /** Applies `change`, validates the result and writes it (atomically, after earlier writes). */
  update(change: (s: Settings) => Settings): Promise<Settings> {
    const next = Settings.parse(change(this.#current));
    this.#current = next;
    const write = this.#writing.then(() => writeFileAtomic(this.file, `${JSON.stringify(next, null, 1)}\n`));
    this.#writing = write.catch((e: unknown) => this.log(`settings: cannot write ${this.file}: ${String(e)}`));
    return write.then(() => next);
  }

  /** The renderer's fields only (settings:set). */
  patch(p: SettingsPatch): Promise<Settings> {
    return this.update((s) => ({
      ...s,
      ...(p.lastModel !== undefined ? { lastModel: p.lastModel } : {}),
      ...(p.panel !== undefined ? { panel: p.panel } : {}),
    }));
  }

  /** Resolves once every write so far has finished (or failed and been logged). */
  flush(): Promise<void> {
    return this.#writing;
  }
}
