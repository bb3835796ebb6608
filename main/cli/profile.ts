// `regla profile`: runs profileRun over a grid of prompt lengths × chunk sizes on one loaded model,
// prints a short kernel table and writes a Chrome trace (and optionally the CSV kernel table).
// regla.ts owns argument parsing and errors; this module gets the parsed options and a GPU factory.

import { writeFile } from 'node:fs/promises';
import { Capture, GpuContext, Session, profileRun, toChromeTrace, toCsv, type CaptureRecord, type ProfileMode, type ProfileReport } from '../../shaders/index.js';
import { measureDevicePeaks, rooflineTable, type DevicePeaks } from '../../shaders/index.js';
import { type CommandDeps, type OptionSpec, type ParsedArgs, intList, requiredString } from './args.js';
import { openModelFolder } from './model-folder.js';

export const PROFILE_HELP = `usage: regla profile --model DIR --out TRACE.json [options]

For every prompt length × chunk size: a prompt of that many tokens (ids cycling through the
vocabulary), its prefill and 16 decode tokens, repeated after one discarded warm-up. Prints the
heaviest kernels and writes a Chrome trace (chrome://tracing, ui.perfetto.dev).

  --model DIR          model folder (required)
  --out FILE           trace-event JSON to write (required)
  --csv FILE           also write the per-kernel table as CSV
  --seq LIST           prompt lengths, comma-separated (default 256,1024)
  --chunk LIST         chunk sizes, multiples of 16 in 16..128 (default 64)
  --repeat N           measured repeats (default 3)
  --decode N           decode tokens per repeat (default 16)
  --mode M             per-op: each dispatch its own timed pass (attribution);
                       fused: the engine's batching, timed on the CPU (throughput) (default per-op)
  --roofline           measure the device's FMA and read-bandwidth peaks first and print
                       each kernel's intensity, attainable GFLOP/s and fraction of the roof
  --capture            after the timed repeats, run the prompt and decode once more with gate
                       capture on (untimed) and add per-layer saturation counter tracks
                       (α < ε or α > 1 − ε for ε = 0.001, 0.01; |logit| > 6) to the trace
  --help               this text`;

export const PROFILE_SPEC: OptionSpec = {
  model: 'string',
  out: 'string',
  csv: 'string',
  seq: 'string',
  chunk: 'string',
  repeat: 'int',
  decode: 'int',
  mode: 'string',
  roofline: 'flag',
  capture: 'flag',
  help: 'flag',
};

export interface ProfileDeps extends CommandDeps {
  /** How the host configured Dawn's timestamp quantization. */
  quantization: string;
}

const fmt = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : '-');

/** The heaviest kernels of a report (by total time per repeat; by count without times). */
export function kernelTable(r: ProfileReport, rows = 8): string {
  const lines = [
    `${r.variant} (${r.mode}): prefill ${r.promptTokens} tokens ${fmt(r.totals.prefillMs, 3)} ms, ` +
      `decode ${fmt(r.totals.decodeMsPerToken, 3)} ms/token (${r.totals.source} time` +
      `${r.precision.quantized ? ', timestamps quantized to 65.5 µs' : ''})`,
    `  ${'phase'.padEnd(8)}${'op'.padEnd(18)}${'kernel'.padEnd(24)}${'count'.padStart(6)}${'median µs'.padStart(11)}${'GFLOP/s'.padStart(10)}${'GB/s'.padStart(9)}`,
  ];
  const weight = (c: number, us: number): number => (Number.isFinite(us) ? c * us : c);
  const top = [...r.perOp].sort((a, b) => weight(b.count, b.medianUs) - weight(a.count, a.medianUs)).slice(0, rows);
  for (const s of top) {
    lines.push(
      `  ${s.phase.padEnd(8)}${s.op.slice(0, 17).padEnd(18)}${s.kernel.slice(0, 23).padEnd(24)}${fmt(s.count, 0).padStart(6)}` +
        `${fmt(s.medianUs).padStart(11)}${fmt(s.gflops).padStart(10)}${fmt(s.gbps).padStart(9)}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** The heaviest kernels of a report placed under the measured roof. */
export function rooflineText(r: ProfileReport, peaks: DevicePeaks, rows = 8): string {
  const lines = [`  ${'phase'.padEnd(8)}${'op'.padEnd(18)}${'flop/B'.padStart(8)}${'GFLOP/s'.padStart(10)}${'roof'.padStart(10)}${'of roof'.padStart(9)}  bound`];
  const top = rooflineTable(r, peaks)
    .sort((a, b) => b.count * (Number.isFinite(b.medianUs) ? b.medianUs : 1) - a.count * (Number.isFinite(a.medianUs) ? a.medianUs : 1))
    .slice(0, rows);
  for (const x of top) {
    lines.push(
      `  ${x.phase.padEnd(8)}${x.op.slice(0, 17).padEnd(18)}${fmt(x.intensity, 2).padStart(8)}${fmt(x.gflops).padStart(10)}` +
        `${fmt(x.attainableGflops).padStart(10)}${(Number.isFinite(x.fractionOfRoof) ? `${(100 * x.fractionOfRoof).toFixed(1)}%` : '-').padStart(9)}  ${x.bound}`,
    );
  }
  return lines.join('\n') + '\n';
}

export async function cmdProfile(a: ParsedArgs, deps: ProfileDeps): Promise<void> {
  const dir = requiredString(a, 'profile', 'model', deps.usage);
  const outPath = requiredString(a, 'profile', 'out', deps.usage);
  const csvPath = a.get('csv');
  const seqs = intList(a.get('seq'), 'profile', 'seq', [256, 1024], (n) => n >= 1, 'integers ≥ 1', deps.usage);
  const chunks = intList(a.get('chunk'), 'profile', 'chunk', [64], (n) => n >= 16 && n <= 128 && n % 16 === 0, 'multiples of 16 in 16..128', deps.usage);
  const repeat = a.get('repeat') ?? 3;
  if (typeof repeat !== 'number' || repeat < 1) throw deps.usage(`profile: --repeat must be an integer ≥ 1, got ${String(repeat)}`);
  const decode = a.get('decode') ?? 16;
  if (typeof decode !== 'number' || decode < 0) throw deps.usage(`profile: --decode must be an integer ≥ 0, got ${String(decode)}`);
  const mode = a.get('mode') ?? 'per-op';
  if (mode !== 'per-op' && mode !== 'fused') throw deps.usage(`profile: --mode must be per-op or fused, got "${String(mode)}"`);

  const withCapture = a.get('capture') === true;

  const folder = await openModelFolder(dir);
  const reports: ProfileReport[] = [];
  const captures: CaptureRecord[][] = [];
  let adapter: Record<string, string> = {};
  let features: string[] = [];
  try {
    const ad = await deps.gpu().requestAdapter({ powerPreference: 'high-performance' });
    if (ad) adapter = { vendor: ad.info.vendor, architecture: ad.info.architecture, device: ad.info.device, description: ad.info.description };
    const ctx = await GpuContext.create(deps.gpu(), { label: 'regla-profile' });
    features = [...ctx.features].sort();
    try {
      let peaks: DevicePeaks | null = null;
      if (a.get('roofline') === true) {
        peaks = await measureDevicePeaks(ctx, { targetMs: 20 });
        deps.write(
          `roof: ${fmt(peaks.flopsPerS / 1e9)} GFLOP/s f32 FMA, ${fmt(peaks.bytesPerS / 1e9)} GB/s read ` +
            `(${peaks.timestamped ? 'GPU timestamps' : 'CPU time'})\n\n`,
        );
      }
      const session = await Session.load(ctx, folder.config, folder.source);
      try {
        const V = folder.config.vocabSize;
        for (const T of seqs) {
          const prompt = Array.from({ length: T }, (_, i) => i % V);
          for (const C of chunks) {
            session.chunkSize = C;
            const r = await profileRun(session, {
              prompt,
              decodeTokens: decode,
              repeat,
              warmup: 1,
              mode: mode as ProfileMode,
              variant: `seq=${T} chunk=${C}`,
              adapter,
              features,
            });
            reports.push(r);
            deps.write(kernelTable(r) + (peaks ? rooflineText(r, peaks) : '') + '\n');
            if (withCapture) captures.push(await captureRun(ctx, session, prompt, decode));
          }
        }
      } finally {
        session.dispose();
      }
    } finally {
      ctx.destroy(true);
    }
  } finally {
    await folder.close();
  }
  const trace = toChromeTrace(reports, { adapter, features, quantization: deps.quantization, model: dir, mode }, withCapture ? { captures } : {});
  await writeFile(outPath, JSON.stringify(trace));
  const counters = trace.traceEvents.filter((e) => e.ph === 'C' && e.name.startsWith('saturation')).length;
  deps.write(`trace → ${outPath} (${trace.traceEvents.length} events${withCapture ? `, ${counters} saturation samples` : ''})\n`);
  if (typeof csvPath === 'string' && csvPath !== '') {
    await writeFile(csvPath, toCsv(reports));
    deps.write(`kernel table → ${csvPath}\n`);
  }
}

/**
 * One untimed reset → prefill(prompt) → `decode` steps with gate capture attached (the profile's
 * decode ids), its records, and the session reset again. Taps disable the fused decode path, so
 * this never runs inside a timed repeat.
 */
async function captureRun(ctx: GpuContext, session: Session, prompt: readonly number[], decode: number): Promise<CaptureRecord[]> {
  const capture = new Capture(ctx, { quantities: ['gate'] });
  const V = session.config.vocabSize;
  const P = prompt.length;
  try {
    await session.reset();
    session.tap = capture.tap;
    await session.prefill(prompt);
    for (let i = 0; i < decode; i++) await session.step((prompt[(P + i) % P] as number) % V);
    session.tap = null;
    return await capture.collect();
  } finally {
    session.tap = null;
    capture.dispose();
    await session.reset();
  }
}
