// Byte-level BPE trainer (GPT-2 style) that writes a Hugging Face tokenizer.json; the runtime loads
// it with @huggingface/tokenizers, which cannot train. Ids: 0..255 are the bytes (id = byte value),
// then one id per learned merge in order, then the special tokens, so with a corpus large enough to
// fill the vocabulary `<|endoftext|>` (the default sole special token) is id vocabSize - 1.

/** GPT-2's pre-tokenizer split; the same pattern @huggingface/tokenizers applies when encoding. */
const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export const END_OF_TEXT = '<|endoftext|>';

export interface BpeOptions {
  /** Total ids, special tokens included. */
  vocabSize: number;
  /** Pairs seen fewer times than this are never merged (default 2). */
  minFrequency?: number;
  /** Added as special tokens after the merges; default [END_OF_TEXT]. Never split or merged. */
  specialTokens?: readonly string[];
}

export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

interface ByteLevelJson {
  type: 'ByteLevel';
  add_prefix_space: boolean;
  trim_offsets: boolean;
  use_regex: boolean;
}

export interface TokenizerJson {
  version: '1.0';
  truncation: null;
  padding: null;
  added_tokens: AddedTokenJson[];
  normalizer: null;
  pre_tokenizer: ByteLevelJson;
  post_processor: null;
  decoder: ByteLevelJson;
  model: {
    type: 'BPE';
    dropout: null;
    unk_token: null;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: boolean;
    byte_fallback: boolean;
    ignore_merges: boolean;
    vocab: Record<string, number>;
    merges: [string, string][];
  };
}

/** GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 onwards. */
export function byteToUnicode(): string[] {
  const table: string[] = new Array<string>(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    table[b] = String.fromCodePoint(printable ? b : next++);
  }
  return table;
}

/** Unique pre-tokenized words (as byte ids) with their counts. */
function countWords(texts: Iterable<string>, specials: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  const escaped = specials.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const specialSplit = escaped.length > 0 ? new RegExp(escaped.join('|'), 'g') : null;
  for (const text of texts) {
    // Special tokens are matched before pre-tokenization at encode time, so they never train merges.
    const pieces = specialSplit ? text.split(specialSplit) : [text];
    for (const piece of pieces) {
      for (const m of piece.matchAll(GPT2_SPLIT)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
    }
  }
  return counts;
}

/** Max-heap of pair keys by (count desc, rank of left asc, rank of right asc), with lazy updates. */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];
  constructor(private readonly before: (ca: number, ka: number, cb: number, kb: number) => boolean) {}
  get size(): number {
    return this.keys.length;
  }
  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.keys.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(this.counts[i]!, this.keys[i]!, this.counts[p]!, this.keys[p]!)) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): { count: number; key: number } {
    const top = { count: this.counts[0]!, key: this.keys[0]! };
    const lastC = this.counts.pop()!;
    const lastK = this.keys.pop()!;
    if (this.keys.length > 0) {
      this.counts[0] = lastC;
      this.keys[0] = lastK;
      let i = 0;
      const n = this.keys.length;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < n && this.before(this.counts[l]!, this.keys[l]!, this.counts[best]!, this.keys[best]!)) best = l;
        if (r < n && this.before(this.counts[r]!, this.keys[r]!, this.counts[best]!, this.keys[best]!)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
  private swap(i: number, j: number): void {
    const c = this.counts[i]!;
    this.counts[i] = this.counts[j]!;
    this.counts[j] = c;
    const k = this.keys[i]!;
    this.keys[i] = this.keys[j]!;
    this.keys[j] = k;
  }
}

const SHIFT = 0x200000; // pair key = left * SHIFT + right; ids stay below 2^21

/**
 * Learns merges by pair frequency over unique words, updating pair counts only for the words a
 * merge touches. Ties go to the pair whose left (then right) symbol sorts first in the order the
 * Rust `tokenizers` BpeTrainer gives ids (byte symbols by their mapped character, then merges in
 * order), following that trainer's tie-breaking (not checked against it here).
 */
export function trainBpe(texts: Iterable<string>, options: BpeOptions): TokenizerJson {
  const specials = options.specialTokens ?? [END_OF_TEXT];
  const minFrequency = options.minFrequency ?? 2;
  const { vocabSize } = options;
  if (!Number.isInteger(vocabSize) || vocabSize < 256 + specials.length || vocabSize >= SHIFT) {
    throw new RangeError(`vocabSize ${vocabSize} must be an integer in [${256 + specials.length}, ${SHIFT})`);
  }
  if (new Set(specials).size !== specials.length) throw new Error('special tokens must be distinct');

  const b2u = byteToUnicode();
  const tokens: string[] = [...b2u]; // id → token string
  const tokenIds = new Map<string, number>(tokens.map((t, i) => [t, i]));
  // Tie-break rank: the Rust trainer numbers its initial alphabet in character order.
  const rank: number[] = new Array<number>(256);
  [...b2u.keys()].sort((a, b) => b2u[a]!.codePointAt(0)! - b2u[b]!.codePointAt(0)!).forEach((byte, r) => (rank[byte] = r));

  const encoder = new TextEncoder();
  const words: number[][] = [];
  const wordCounts: number[] = [];
  for (const [word, count] of countWords(texts, specials)) {
    words.push([...encoder.encode(word)]);
    wordCounts.push(count);
  }

  const pairCounts = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  words.forEach((w, wi) => {
    const c = wordCounts[wi]!;
    for (let i = 0; i + 1 < w.length; i++) {
      const key = w[i]! * SHIFT + w[i + 1]!;
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + c);
      let s = where.get(key);
      if (!s) where.set(key, (s = new Set()));
      s.add(wi);
    }
  });

  const before = (ca: number, ka: number, cb: number, kb: number): boolean => {
    if (ca !== cb) return ca > cb;
    const la = rank[Math.floor(ka / SHIFT)]!;
    const lb = rank[Math.floor(kb / SHIFT)]!;
    if (la !== lb) return la < lb;
    return rank[ka % SHIFT]! < rank[kb % SHIFT]!;
  };
  const heap = new PairHeap(before);
  for (const [key, count] of pairCounts) heap.push(count, key);

  const merges: [string, string][] = [];
  const target = vocabSize - specials.length;
  while (tokens.length < target && heap.size > 0) {
    const { count, key } = heap.pop();
    const current = pairCounts.get(key) ?? 0;
    if (current !== count) {
      // Counts of existing pairs only fall, so a stale entry is re-queued with its true count.
      if (current > 0) heap.push(current, key);
      continue;
    }
    if (count < minFrequency) break;
    const left = Math.floor(key / SHIFT);
    const right = key % SHIFT;
    const content = tokens[left]! + tokens[right]!;
    merges.push([tokens[left]!, tokens[right]!]);
    // Two different pairs can spell the same string; like the Rust trainer, reuse its id.
    let id = tokenIds.get(content);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(content);
      tokenIds.set(content, id);
      rank[id] = 256 + merges.length - 1;
    }

    const changed = new Map<number, number>();
    const bump = (k: number, d: number): void => void changed.set(k, (changed.get(k) ?? 0) + d);
    for (const wi of where.get(key) ?? []) {
      const w = words[wi]!;
      let hit = false;
      for (let i = 0; i + 1 < w.length; i++) {
        if (w[i] === left && w[i + 1] === right) {
          hit = true;
          break;
        }
      }
      if (!hit) continue; // stale entry: an earlier merge consumed this pair in the word
      const c = wordCounts[wi]!;
      for (let i = 0; i + 1 < w.length; i++) bump(w[i]! * SHIFT + w[i + 1]!, -c);
      const merged: number[] = [];
      for (let i = 0; i < w.length; i++) {
        if (i + 1 < w.length && w[i] === left && w[i + 1] === right) {
          merged.push(id);
          i++;
        } else {
          merged.push(w[i]!);
        }
      }
      words[wi] = merged;
      for (let i = 0; i + 1 < merged.length; i++) {
        const k = merged[i]! * SHIFT + merged[i + 1]!;
        bump(k, c);
        let s = where.get(k);
        if (!s) where.set(k, (s = new Set()));
        s.add(wi);
      }
    }
    for (const [k, d] of changed) {
      if (d === 0) continue;
      const n = (pairCounts.get(k) ?? 0) + d;
      if (n > 0) pairCounts.set(k, n);
      else pairCounts.delete(k);
      if (d > 0) heap.push(n, k);
    }
    pairCounts.delete(key);
    where.delete(key);
  }

  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => (vocab[t] = i));
  const added_tokens = specials.map((content, i) => ({
    id: tokens.length + i,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  for (const t of added_tokens) vocab[t.content] = t.id;
  const byteLevel = (add_prefix_space: boolean): ByteLevelJson => ({ type: 'ByteLevel', add_prefix_space, trim_offsets: true, use_regex: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens,
    normalizer: null,
    pre_tokenizer: byteLevel(false),
    post_processor: null,
    decoder: byteLevel(true),
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}
