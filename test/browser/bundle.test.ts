// Session bundles end to end (issue #6 item 4): the built renderer through the web host in headless
// Chromium (WebGPU on SwiftShader). Loads the ReGLA sample, generates, locks a token, picks a layer
// and head and the gates panel, saves the session (a download, checked in Node with the same
// decoder), reloads the page, opens the bundle (<input type=file>), and checks that the same run,
// tokens, selection, panel, readout and legends are shown. Then the same bundle with its model's
// weights hash altered, dropped on the window: a mismatch warning, the banner, and the recorded
// results still drawn (effective attention computed from the recorded dumps).
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type FileChooser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, RUN_MS, skipBrowser, type AppHarness } from './app-harness.js';
import { decodeSession, encodeSession } from '../../renderer/session/bundle.js';


/** What the view shows: the facts a restored session must reproduce. */
interface View {
  tokens: string[];
  promptTokens: number;
  status: string;
  locked: string | null;
  layer: string;
  head: string;
  tab: string | null;
  readout: string;
  legends: string[];
}

describe.skipIf(skipBrowser)('session bundles in Chromium through the web host', () => {
  let app: AppHarness | null = null;
  let page: Page;
  let command: AppHarness['command'];
  let log: string[] = [];
  let work = '';
  let url = '';
  let saved = '';
  let before: View;

  const ready = async (): Promise<void> => {
    await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 120_000 });
    expect(await page.getAttribute('body', 'data-state'), log.join('\n')).toBe('ready');
  };
  const view = async (): Promise<View> => ({
    tokens: await page.locator('[data-testid=tokens] .tok').allTextContents(),
    promptTokens: await page.locator('[data-testid=tokens] .tok.prompt').count(),
    status: (await page.textContent('[data-testid=run-status]')) ?? '',
    locked: await page.locator('.tok.locked').getAttribute('data-pos'),
    layer: await page.inputValue('[data-testid=layer]'),
    head: await page.inputValue('[data-testid=head]'),
    tab: await page.locator('[role=tab][aria-selected=true]').getAttribute('data-testid'),
    readout: (await page.textContent('[data-testid=gates-readout]')) ?? '',
    legends: await page.locator('[data-testid=gates-panel] .legend').evaluateAll((ls) => ls.map((l) => l.getAttribute('aria-label') ?? '')),
  });
  // One listener for the page's life: Playwright's per-call waitForEvent('filechooser') misses
  // every few choosers on Chromium (interception is switched off and on again between them).
  let nextChooser: ((c: FileChooser) => void) | null = null;
  const restored = async (): Promise<void> => {
    await page.waitForSelector('[data-testid=run-status][data-status="done"]', { timeout: 60_000 });
    await expect.poll(() => page.textContent('[data-testid=gates-readout]'), { timeout: 30_000 }).toContain('locked #4');
  };
  const openBundle = async (path: string): Promise<void> => {
    const chooser = new Promise<FileChooser>((resolve) => (nextChooser = resolve));
    await command('Open Session');
    await (await chooser).setFiles(path);
    await restored();
  };
  /** Drops the file on the window, as a user dragging it from the desktop. */
  const dropBundle = async (path: string): Promise<void> => {
    const b64 = readFileSync(path).toString('base64');
    await page.evaluate(
      ([data, name]) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], name));
        document.querySelector('.app')?.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      },
      [b64, basename(path)] as const,
    );
    await restored();
  };

  beforeAll(async () => {
    app = await openApp('bundle');
    ({ page, log, work, command } = app);
    url = app.url;
    page.on('filechooser', (c) => nextChooser?.(c));
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  it('generates on the ReGLA sample, locks a token, picks layer 2 / head 1 on the gates panel', async () => {
    await page.goto(`${url}/`);
    await ready();
    await page.fill('[data-testid=prompt]', 'It was the best of times');
    await page.fill('[data-testid=max-tokens]', '6');
    await page.click('[data-testid=generate]');
    await page.waitForSelector('[data-testid=run-status][data-status="done"], [data-testid=run-status][data-status="error"]', { timeout: RUN_MS });
    expect(await page.getAttribute('[data-testid=run-status]', 'data-status'), log.join('\n')).toBe('done');
    await page.click('[data-testid=tab-gates]');
    await page.fill('[data-testid=layer]', '2');
    await page.fill('[data-testid=head]', '1');
    await page.click('[data-testid=tokens] .tok[data-pos="4"]');
    await page.hover('[data-testid=prompt]');
    await expect.poll(() => page.textContent('[data-testid=gates-readout]')).toMatch(/^locked #4 .* · layer 2 · head 1 · mean .*= -?\d/);
    before = await view();
    expect(before.locked).toBe('4');
    expect(before.layer).toBe('2');
    expect(before.head).toBe('1');
    expect(before.tab).toBe('tab-gates');
    expect(before.legends.length).toBeGreaterThan(0);
  }, RUN_MS);

  it('saves the session as a download that decodes to the run, its analysis and the view', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), command('Save Session')]);
    expect(download.suggestedFilename()).toMatch(/^regla-regla-.*\.reglasession$/);
    saved = join(work, download.suggestedFilename());
    await download.saveAs(saved);
    const snap = decodeSession(new Uint8Array(readFileSync(saved)), saved);
    expect(snap.runs).toHaveLength(1);
    const run = snap.runs[0]!;
    expect(run.model).toMatchObject({ key: 'sample:regla', name: 'regla', kind: 'sample' });
    expect(run.tokens.map((t) => (t.text === '' ? '·' : t.text))).toEqual(before.tokens);
    expect(run.sampling).toMatchObject({ seed: 1 });
    expect(run.analysis?.records.length).toBeGreaterThan(0);
    expect(run.analysis?.dumps.size).toBeGreaterThan(0);
    expect(snap.models[0]?.hash?.files.map((f) => f.file)).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    expect(snap.ui).toMatchObject({ currentRun: run.id, lockedToken: 4, layer: 2, head: 1, panel: 'gates' });
    expect(snap.gpu?.adapter).toBeTruthy();
  }, 60_000);

  it('after a reload, opening the bundle shows the same run, tokens, selection, panel and values', async () => {
    await page.reload();
    await ready();
    expect(await page.locator('[data-testid=run-status]').count()).toBe(0);
    await page.click('[data-testid=tab-state]');
    await page.fill('[data-testid=layer]', '0');
    await openBundle(saved);
    const after = await view();
    expect(after).toEqual(before);
    expect(await page.locator('[data-testid=session-banner]').count(), 'the sample matches: no banner').toBe(0);
    expect((await page.locator('.notice').allTextContents()).join('\n')).toMatch(/Opened regla-regla-.*: 1 run saved/);
    // The prompt fields are the page's own; the reopened run's prompt, seed and length come back on request.
    await page.fill('[data-testid=prompt]', 'something else');
    await page.fill('[data-testid=max-tokens]', '2');
    await page.click('[data-testid=use-run-settings]');
    expect(await page.inputValue('[data-testid=prompt]')).toBe('It was the best of times');
    expect(await page.inputValue('[data-testid=max-tokens]')).toBe('6');
    expect(await page.inputValue('[data-testid=seed]')).toBe('1');
    expect(await page.isDisabled('[data-testid=use-run-settings]')).toBe(true);
  }, RUN_MS);

  it('a bundle whose model weights differ from the local sample, dropped on the window: a warning, the banner, the recorded results', async () => {
    const snap = decodeSession(new Uint8Array(readFileSync(saved)));
    const model = snap.models[0]!;
    const zero = '0'.repeat(64);
    model.hash = { ...model.hash!, files: model.hash!.files.map((f) => (f.file === 'model.safetensors' ? { ...f, sha256: zero } : f)), digest: zero };
    const altered = join(work, 'altered.reglasession');
    writeFileSync(altered, encodeSession(snap));
    await dropBundle(altered);
    const banner = page.locator('[data-testid=session-banner]');
    expect(await banner.getAttribute('data-status')).toBe('mismatch');
    expect(await banner.textContent()).toMatch(/^model regla is not available: showing the recorded results \(the local regla differs from the session's model regla \(sample\) \(model\.safetensors differ\)\)/);
    expect((await page.locator('.notice.error').allTextContents()).join('\n')).toMatch(/ModelHashMismatchError \(warning\)/);
    // Drawn from the recorded config and analysis: the same values as the live run.
    const after = await view();
    expect({ ...after, status: '' }).toEqual({ ...before, status: '' });
    expect(after.status).toMatch(/^regla · done · \d+ tokens/);
    // Effective attention needs only the recorded φ dumps and config: computed for the recorded run too.
    await page.click('[data-testid=tab-attention]');
    await page.waitForSelector('[data-testid=attention-focus-row]', { timeout: 120_000 });
    await expect.poll(() => page.textContent('[data-testid=attention-panel]')).toContain('Row of token #4');
  }, RUN_MS);
});
