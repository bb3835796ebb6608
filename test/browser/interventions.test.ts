// Interventions end to end (issue #6 item 3): the built renderer through the web host in headless
// Chromium (WebGPU on SwiftShader). Generates greedily from the ReGLA sample, opens the Interventions
// panel, shows a bad list's message inline, re-runs with "force r = 0 on all layers", and checks the
// result against the engine's float64 twin run here in Node on the sample's own weights: every
// per-token Δ log p the panel shows (and the one its readout prints for a locked token) equals
// log p under forward64 with the intervention − without it, on the baseline's tokens, within 1e-3;
// the intervened run's own per-token log p (its analysis prefill) is the intervened twin's. Then the
// capture export of the intervened run lists the intervention, and "Compare these two" opens Compare
// with both runs labelled. Screenshots go to test-results/interventions-*.png.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Download, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, openApp, ROOT, RUN_MS, skipBrowser, type AppHarness } from './app-harness.js';
import { cpuState, forward64, parseConfig, readSafetensors, type Intervention } from '../../shaders/index.js';

const TOL = 1e-3;
const FORCE_R0: Intervention = { kind: 'force_r', layers: 'all', value: 0 };

interface RunInfo {
  id: string;
  status: string;
  ids: number[];
  logprobs: Array<number | null>;
  promptLength: number;
  interventions: Intervention[];
}

/** The sample's weights and the float64 twin's per-token log p of `ids` (NaN at 0) under `list`. */
const SAMPLE = join(ROOT, 'samples/models/regla');
const config = parseConfig(JSON.parse(readFileSync(join(SAMPLE, 'config.json'), 'utf8')));
const weights = readSafetensors(new Uint8Array(readFileSync(join(SAMPLE, 'model.safetensors'))), 'regla/model.safetensors').tensors;
function twinLogprobs(ids: readonly number[], list: readonly Intervention[]): Float64Array {
  const V = config.vocabSize;
  const logits = forward64(config, weights, cpuState(config), ids, list);
  const out = new Float64Array(ids.length).fill(NaN);
  for (let t = 1; t < ids.length; t++) {
    const o = (t - 1) * V;
    let max = -Infinity;
    for (let j = 0; j < V; j++) max = Math.max(max, logits[o + j] as number);
    let z = 0;
    for (let j = 0; j < V; j++) z += Math.exp((logits[o + j] as number) - max);
    out[t] = (logits[o + (ids[t] as number)] as number) - max - Math.log(z);
  }
  return out;
}

describe.skipIf(skipBrowser)('interventions in the app (Chromium through the web host)', () => {
  let app: AppHarness | null = null;
  let page: Page;
  let command: AppHarness['command'];
  let log: string[] = [];
  let url = '';
  let baseline: RunInfo;
  let intervened: RunInfo;

  const shot = async (name: string): Promise<void> => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, `interventions-${name}.png`), fullPage: false });
  };
  const runInfo = (id: string | null): Promise<RunInfo> =>
    page.evaluate((want) => {
      const s = (window as unknown as { __regla: { store: { getState(): { currentRun: string | null; runs: Record<string, { id: string; status: string; tokens: Array<{ id: number; logprob: number | null }>; promptLength: number; interventions: unknown[] }> } } } }).__regla.store.getState();
      const r = s.runs[want ?? s.currentRun ?? ''];
      if (!r) throw new Error(`no run ${want ?? s.currentRun}`);
      return { id: r.id, status: r.status, ids: r.tokens.map((t) => t.id), logprobs: r.tokens.map((t) => t.logprob), promptLength: r.promptLength, interventions: r.interventions as Intervention[] };
    }, id);
  const waitDone = async (): Promise<string> => {
    await page.waitForSelector('[data-testid=run-status][data-status="done"], [data-testid=run-status][data-status="error"]', { timeout: RUN_MS });
    return (await page.textContent('[data-testid=run-status]')) ?? '';
  };

  beforeAll(async () => {
    app = await openApp('interventions', { viewport: { width: 1440, height: 1000 } });
    ({ page, log, command } = app);
    url = app.url;
    await page.goto(`${url}/?debug`);
    await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 120_000 });
    expect(await page.getAttribute('body', 'data-state'), log.join('\n')).toBe('ready');
  }, 180_000);

  afterAll(async () => {
    await app?.close();
  });

  it('generates the baseline greedily (6 tokens, temperature 0)', async () => {
    await page.fill('[data-testid=prompt]', 'It was the best of times');
    await page.fill('[data-testid=temperature]', '0');
    await page.fill('[data-testid=max-tokens]', '6');
    await page.click('[data-testid=generate]');
    expect(await waitDone(), log.join('\n')).toMatch(/^regla · done/);
    baseline = await runInfo(null);
    expect(baseline.interventions).toEqual([]);
    expect(baseline.ids.length - baseline.promptLength).toBe(6);
  }, RUN_MS);

  it('the editor shows the engine’s message inline and will not re-run a bad list', async () => {
    await page.click('[data-testid=tab-interventions]');
    await page.waitForSelector('[data-testid=interventions-panel]');
    expect(await page.isDisabled('[data-testid=int-rerun]')).toBe(true);
    await page.selectOption('[data-testid=int-add]', 'clamp_g');
    await page.fill('[data-testid=int-row-0] [data-testid=int-min]', '0.6');
    await page.fill('[data-testid=int-row-0] [data-testid=int-max]', '0.2');
    await expect.poll(() => page.textContent('[data-testid=int-row-0] [data-testid=int-error]')).toBe('[0.6, 0.2] must satisfy 0 ≤ min ≤ max ≤ 1');
    expect(await page.isDisabled('[data-testid=int-rerun]')).toBe(true);
    await page.selectOption('[data-testid=int-row-0] [data-testid=int-scope]', 'list');
    await page.fill('[data-testid=int-row-0] [data-testid=int-layers]', '0-9');
    await page.fill('[data-testid=int-row-0] [data-testid=int-min]', '0');
    await expect.poll(() => page.textContent('[data-testid=int-row-0] [data-testid=int-error]')).toBe('layer 4 is out of range 0..3');
    await shot('editor-error');
    await page.click('[data-testid=int-row-0] [data-testid=int-remove]');
    expect(await page.locator('[data-testid=int-error]').count()).toBe(0);
  });

  it('re-runs with force r = 0 on all layers: a new run that records it, labelled', async () => {
    await page.selectOption('[data-testid=int-add]', 'force_r');
    expect(await page.inputValue('[data-testid=int-row-0] [data-testid=int-value]')).toBe('0');
    expect(await page.inputValue('[data-testid=int-row-0] [data-testid=int-scope]')).toBe('all');
    expect(await page.textContent('[data-testid=int-rerun-note]')).toContain('with: force r = 0 · all layers');
    await shot('editor');
    await page.click('[data-testid=int-rerun]');
    await expect.poll(() => page.textContent('[data-testid=run-status]'), { timeout: 30_000 }).toContain('regla · force r = 0 · all layers');
    expect(await waitDone(), log.join('\n')).toMatch(/^regla · force r = 0 · all layers · done/);
    intervened = await runInfo(null);
    expect(intervened.id).not.toBe(baseline.id);
    expect(intervened.interventions).toEqual([FORCE_R0]);
    expect(intervened.ids.slice(0, intervened.promptLength)).toEqual(baseline.ids.slice(0, baseline.promptLength));
  }, RUN_MS);

  it('the intervened run’s own log p (its analysis prefill) is the intervened float64 twin’s', () => {
    const twin = twinLogprobs(intervened.ids, [FORCE_R0]);
    const plain = twinLogprobs(intervened.ids, []);
    let worst = 0;
    let moved = 0;
    for (let t = 1; t < intervened.ids.length; t++) {
      const lp = intervened.logprobs[t];
      expect(lp, `token ${t} has a log p`).not.toBeNull();
      worst = Math.max(worst, Math.abs((lp as number) - (twin[t] as number)));
      moved = Math.max(moved, Math.abs((twin[t] as number) - (plain[t] as number)));
    }
    console.log(`intervened run's own log p vs forward64 with force r = 0: worst |Δ| ${worst.toExponential(2)} (the intervention moves log p by up to ${moved.toFixed(3)})`);
    expect(worst).toBeLessThan(TOL);
    // The intervention matters: the check above would not pass with the plain model's numbers.
    expect(moved).toBeGreaterThan(10 * TOL);
  });

  it('shows the token-aligned diff and Δ log p per baseline token equal to the float64 twin’s', async () => {
    await page.waitForSelector('[data-testid=int-result]');
    const cols = page.locator('[data-testid=int-diff] > [data-pos]');
    expect(await cols.count()).toBe(Math.max(baseline.ids.length, intervened.ids.length));
    const summary = (await page.textContent('[data-testid=int-diff-summary]')) ?? '';
    let prefix = 0;
    while (prefix < Math.min(baseline.ids.length, intervened.ids.length) && baseline.ids[prefix] === intervened.ids[prefix]) prefix++;
    if (prefix === baseline.ids.length && prefix === intervened.ids.length) expect(summary).toMatch(/^Identical/);
    else {
      expect(summary).toContain(`first divergence at #${prefix}`);
      expect(await page.locator(`[data-testid=int-diff] > [data-pos="${prefix}"]`).getAttribute('class')).toContain('int-divergence');
    }

    await page.waitForSelector('[data-testid=int-delta-tokens] .tok', { timeout: RUN_MS });
    const shown = await page.locator('[data-testid=int-delta-tokens] .tok').evaluateAll((els) => els.map((e) => [Number(e.getAttribute('data-pos')), e.getAttribute('data-delta') ?? ''] as const));
    expect(shown.length).toBe(baseline.ids.length);
    const want = twinLogprobs(baseline.ids, [FORCE_R0]);
    const base = twinLogprobs(baseline.ids, []);
    let worst = 0;
    for (const [pos, text] of shown) {
      if (pos === 0) {
        expect(text).toBe('');
        continue;
      }
      const delta = (want[pos] as number) - (base[pos] as number);
      worst = Math.max(worst, Math.abs(Number(text) - delta));
    }
    console.log(`Δ log p shown vs float64 twin over ${shown.length - 1} baseline tokens: worst |error| ${worst.toExponential(2)}`);
    expect(worst, `worst |Δ shown − Δ float64| = ${worst}`).toBeLessThan(TOL);

    // The readout of a locked generated token prints the same Δ (4 decimals) and its KL.
    const pos = baseline.promptLength + 1;
    await page.click(`[data-testid=int-delta-tokens] .tok[data-pos="${pos}"]`);
    const focus = (await page.textContent('[data-testid=int-focus]')) ?? '';
    expect(focus).toContain(`#${pos}`);
    const m = /Δ log p ([−+±])(\d+\.\d{4})/.exec(focus);
    expect(m, focus).not.toBeNull();
    const printed = (m?.[1] === '−' ? -1 : 1) * Number(m?.[2]);
    expect(Math.abs(printed - ((want[pos] as number) - (base[pos] as number)))).toBeLessThan(TOL);
    expect(focus).toMatch(/KL \d+\.\d{4} nats/);
    expect(await page.textContent('[data-testid=int-totals]')).toMatch(/Σ Δ log p [−+±]\d+\.\d{4} nats .* total KL \d+\.\d{4} nats/);
    expect(await page.locator('[data-testid=int-result] .legend').count()).toBeGreaterThan(0);
    await page.locator('[data-testid=int-result]').scrollIntoViewIfNeeded();
    await shot('result');
  }, RUN_MS);

  it('a capture export of the intervened run lists its interventions', async () => {
    const downloads: Download[] = [];
    page.on('download', (d) => downloads.push(d));
    await command('Export Capture');
    await expect.poll(() => downloads.length, { timeout: 60_000 }).toBe(2);
    const json = downloads.find((d) => d.suggestedFilename().endsWith('.json'));
    expect(json?.suggestedFilename()).toBe(`regla-capture-regla-${intervened.id}.json`);
    const capture = JSON.parse(readFileSync(await (json as Download).path(), 'utf8')) as { interventions: unknown; tokens: Array<{ id: number }> };
    expect(capture.interventions).toEqual([{ kind: 'force_r', layers: 'all', value: 0, text: 'force r = 0 · all layers' }]);
    expect(capture.tokens.map((t) => t.id)).toEqual(intervened.ids);
  }, 120_000);

  it('“Compare these two” opens Compare with the baseline and the labelled intervened run', async () => {
    await page.click('[data-testid=tab-interventions]');
    await page.click('[data-testid=int-compare]');
    await page.waitForSelector('[data-testid=compare-panel]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=cmp-col]').length === 2, undefined, { timeout: 30_000 });
    const heads = await page.locator('[data-testid=cmp-col] h3').allTextContents();
    expect(heads[0]).toMatch(/^run 0: regla \(/);
    expect(heads[1]).toContain('run 1: regla · force r = 0 · all layers');
    const chips = await page.locator('[data-testid=cmp-run-chip]').allTextContents();
    expect(chips.join(' | ')).toContain(`regla · force r = 0 · all layers · ${intervened.id}`);
    await page.waitForSelector('[data-testid=cmp-kl-exact-summary]', { timeout: RUN_MS });
    expect(await page.textContent('[data-testid=cmp-kl-exact-summary]')).toMatch(/regla · force r = 0 · all layers \d+\.\d{3}/);
    await shot('compare');
  }, RUN_MS);
});
