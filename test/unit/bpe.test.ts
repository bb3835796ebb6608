// The byte-level BPE trainer, checked through the runtime that loads its output
// (@huggingface/tokenizers): lossless round trips, vocabulary layout, merge order against a naive
// rescanning trainer, compression, determinism and the special token.
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { END_OF_TEXT, byteToUnicode, trainBpe, type TokenizerJson } from '../../samples/tokenizer/bpe.js';

const PARAGRAPHS = [
  'It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.',
  'However little known the feelings or views of such a man may be on his first entering a neighbourhood, this truth is so well fixed in the minds of the surrounding families, that he is considered the rightful property of some one or other of their daughters.',
  '"My dear Mr. Bennet," said his lady to him one day, "have you heard that Netherfield Park is let at last?"',
  'Mr. Bennet replied that he had not. "But it is," returned she; "for Mrs. Long has just been here, and she told me all about it."',
  'Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse, I thought I would sail about a little and see the watery part of the world.',
  'The café served crème brûlée and naïve piñatas; Zürich, São Paulo and Kraków were on the menu. Ελληνικά και русский текст, 日本語のテキスト, 中文文本, 한국어 텍스트.',
  'Emoji travel too: 🙂🙂 🚀 👩‍💻 and flags 🇫🇷🇯🇵 — plus numbers 1790, 2021, 3.14159 and 1,000,000.',
  'Fellow-Citizens of the Senate and House of Representatives: In meeting you again I feel much satisfaction in being able to repeat my congratulations on the favorable prospects which continue to distinguish our public affairs.',
  'Tabs\tand  double  spaces,   triple   spaces, trailing spaces   \nand lines\n\n\nwith blank lines between them.',
];
// A few KB: every paragraph repeated with a varying count so pair frequencies differ.
const CORPUS = PARAGRAPHS.map((p, i) => Array.from({ length: 3 + (i % 4) }, () => p).join('\n\n'));
const TRAIN_TEXT = CORPUS.join(`\n${END_OF_TEXT}\n`);
const VOCAB = 600;

const train = (): TokenizerJson => trainBpe(CORPUS, { vocabSize: VOCAB });
const load = (json: TokenizerJson): Tokenizer => new Tokenizer(json, { clean_up_tokenization_spaces: false });
const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** Reference trainer that recounts every pair after every merge; same tie-breaking rule. */
function naiveMerges(texts: string[], count: number): [string, string][] {
  const b2u = byteToUnicode();
  const rank = new Map<string, number>([...b2u].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!).map((s, i) => [s, i]));
  const words = new Map<string, number>();
  for (const t of texts) for (const m of t.matchAll(GPT2_SPLIT)) words.set(m[0], (words.get(m[0]) ?? 0) + 1);
  let split = [...words].map(([w, c]) => ({ syms: [...new TextEncoder().encode(w)].map((b) => b2u[b]!), c }));
  const merges: [string, string][] = [];
  while (merges.length < count) {
    const pairs = new Map<string, { a: string; b: string; n: number }>();
    for (const { syms, c } of split) {
      for (let i = 0; i + 1 < syms.length; i++) {
        const k = `${syms[i]}\u0000${syms[i + 1]}`;
        const e = pairs.get(k) ?? { a: syms[i]!, b: syms[i + 1]!, n: 0 };
        e.n += c;
        pairs.set(k, e);
      }
    }
    let best: { a: string; b: string; n: number } | undefined;
    for (const e of pairs.values()) {
      if (
        !best ||
        e.n > best.n ||
        (e.n === best.n && (rank.get(e.a)! < rank.get(best.a)! || (e.a === best.a && rank.get(e.b)! < rank.get(best.b)!)))
      ) {
        best = e;
      }
    }
    if (!best || best.n < 2) break;
    const { a, b } = best;
    merges.push([a, b]);
    if (!rank.has(a + b)) rank.set(a + b, 256 + merges.length - 1);
    split = split.map(({ syms, c }) => {
      const out: string[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (syms[i] === a && syms[i + 1] === b) {
          out.push(a + b);
          i++;
        } else out.push(syms[i]!);
      }
      return { syms: out, c };
    });
  }
  return merges;
}

describe('byte-level BPE trainer', () => {
  const json = train();
  const tok = load(json);

  it('round-trips varied text through encode and decode', () => {
    const samples = [
      TRAIN_TEXT,
      'Hello, world!',
      'naïve café — Zürich 🙂🙂🚀 👩‍💻 🇫🇷',
      '   leading and trailing   ',
      'tabs\t\tand\r\nCRLF\n\n\n\nnewlines',
      '日本語 한국어 Ελληνικά русский',
      'unseen words: xylophone quixotic zeugma 0xDEADBEEF',
      "it's we'll they'd I'm you've don't",
      '\u0000\u0001 control \u007f bytes \uFEFF',
    ];
    expect(tok.encode('').ids).toEqual([]); // (the runtime's decode refuses an empty id list)
    for (const s of samples) {
      const ids = tok.encode(s).ids;
      expect(tok.decode(ids, { clean_up_tokenization_spaces: false }), JSON.stringify(s)).toBe(s);
      expect(tok.decode(ids), JSON.stringify(s)).toBe(s); // the config turns clean-up off by default
    }
  });

  it('has exactly the requested ids: 256 bytes, merges, then the special token', () => {
    let max = -1;
    for (const id of tok.get_vocab(true).values()) max = Math.max(max, id);
    expect(max + 1).toBe(VOCAB);
    expect(tok.get_vocab(true).size).toBe(VOCAB);
    const b2u = byteToUnicode();
    for (let b = 0; b < 256; b++) expect(tok.token_to_id(b2u[b]!)).toBe(b);
    expect(json.added_tokens).toEqual([expect.objectContaining({ id: VOCAB - 1, content: END_OF_TEXT, special: true })]);
    expect(json.model.byte_fallback).toBe(false);
    expect(json.pre_tokenizer).toMatchObject({ type: 'ByteLevel', add_prefix_space: false, use_regex: true });
  });

  it('merges the most frequent pairs first, as a naive rescanning trainer does', () => {
    const reference = naiveMerges(CORPUS, json.model.merges.length);
    expect(reference.length).toBe(json.model.merges.length);
    expect(json.model.merges.slice(0, 10)).toEqual(reference.slice(0, 10));
    expect(json.model.merges).toEqual(reference);
  });

  it('compresses the training text', () => {
    const bytes = new TextEncoder().encode(TRAIN_TEXT).length;
    const tokens = tok.encode(TRAIN_TEXT).ids.length;
    expect(tokens).toBeLessThan(bytes / 2);
  });

  it('is deterministic', () => {
    expect(JSON.stringify(train())).toBe(JSON.stringify(json));
  });

  it('encodes the special token to its single id, never splitting it', () => {
    expect(tok.encode(END_OF_TEXT).ids).toEqual([VOCAB - 1]);
    const ids = tok.encode(`end.${END_OF_TEXT}Start`).ids;
    expect(ids.filter((id) => id === VOCAB - 1)).toHaveLength(1);
    expect(tok.decode(ids)).toBe(`end.${END_OF_TEXT}Start`);
  });

  it('rejects a vocabulary too small to hold the bytes and special tokens', () => {
    expect(() => trainBpe(CORPUS, { vocabSize: 256 })).toThrow(RangeError);
  });
});
