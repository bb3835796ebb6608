// Shared by the CLI tests: spawning the built `regla` bundle, a tiny byte-level BPE tokenizer.json,
// and writing a model folder (config.json, tokenizer.json, weights) into a temp dir.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { byteToUnicode } from '../../samples/tokenizer/bpe.js';

export const ROOT = resolve(import.meta.dirname, '../..');
/** Built once by test/global-setup.ts. */
export const CLI = join(ROOT, 'dist/cli/regla.mjs');
const ICD = '/usr/share/vulkan/icd.d/lvp_icd.json';

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI on lavapipe (unless VK_ICD_FILENAMES says otherwise). */
export function regla(...args: string[]): Promise<Result> {
  return new Promise((done, fail) => {
    const env = { ...process.env };
    if (env['VK_ICD_FILENAMES'] === undefined && existsSync(ICD)) env['VK_ICD_FILENAMES'] = ICD;
    const p = spawn(process.execPath, [CLI, ...args], { env, cwd: ROOT });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', fail);
    // Dawn's Vulkan backend logs limit adjustments straight to stderr on some drivers; they are not ours.
    p.on('close', (code) => done({ code, stdout, stderr: stderr.replace(/^(Warning: .*artificially reduced.*)?\n/gm, '') }));
  });
}

/** A byte-level BPE: the 256 byte symbols + a few merges (ids 256…262). */
export function tokenizerJson(): Record<string, unknown> {
  const bc = byteToUnicode();
  const vocab: Record<string, number> = {};
  for (let b = 0; b < 256; b++) vocab[bc[b] as string] = b;
  const merges: Array<[string, string]> = [['h', 'e'], ['l', 'l'], ['he', 'll'], ['Ġ', 't'], ['Ġt', 'he'], ['Ġ', 'w'], ['o', 'r']];
  let id = 256;
  for (const [a, b] of merges) vocab[a + b] = id++;
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: null,
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}

/** A model folder: config.json, optionally tokenizer.json, then `writeWeights(dir)`. Returns dir. */
export async function writeModelFolder(
  dir: string,
  rawConfig: Record<string, unknown>,
  writeWeights: (dir: string) => Promise<void>,
  o: { tokenizer?: boolean } = {},
): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(rawConfig));
  if (o.tokenizer ?? true) await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson()));
  await writeWeights(dir);
  return dir;
}
